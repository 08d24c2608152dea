using Microsoft.ML.DeltaLoRA.Modeling.UseLite;

namespace DeltaLoRA.Bench.Embeddings;

internal static class SentenceEmbedders
{
    /// <summary>
    /// The frozen encoder of <paramref name="modelPath"/>: USE-Lite's sentence vector for a USE-Lite folder or for null (the
    /// library's default model), mean-pooled last hidden states for a Hugging Face folder.
    /// </summary>
    public static SentenceEmbedder Open(string? modelPath, int maxSequenceLength)
    {
        var folder = modelPath ?? DefaultModel.Directory;
        bool isUseLite = File.Exists(Path.Combine(folder, "model.json")) && File.Exists(Path.Combine(folder, "vocab.json"))
                         && !File.Exists(Path.Combine(folder, "config.json"));
        return isUseLite ? UseLiteSentenceEmbedder.Load(folder, maxSequenceLength) : MeanPooledSentenceEmbedder.Load(folder, maxSequenceLength);
    }
}
