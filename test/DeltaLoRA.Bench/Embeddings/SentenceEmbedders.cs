using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.UseLite;

namespace DeltaLoRA.Bench.Embeddings;

internal static class SentenceEmbedders
{
    /// <summary>
    /// The frozen encoder of <paramref name="modelPath"/>: USE-Lite's sentence vector for a USE-Lite folder or for null (the
    /// study's default model), mean-pooled last hidden states for a Hugging Face folder.
    /// </summary>
    public static SentenceEmbedder Open(string? modelPath, int maxSequenceLength)
    {
        var folder = NamedModels.ResolveFolder(modelPath ?? NamedModels.UseLite.Name);
        return UseLiteModelFiles.IsModelFolder(folder) ? UseLiteSentenceEmbedder.Load(folder, maxSequenceLength) : MeanPooledSentenceEmbedder.Load(folder, maxSequenceLength);
    }
}
