using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Tests.Training;

/// <summary>Random token sequences (3 to 12 tokens) whose class is learnable: it depends on which third of the vocabulary dominates.</summary>
internal static class TinyData
{
    public const int PadTokenId = 0;

    public static (List<EncodedSequence> Sequences, List<float> Labels) Examples(int count, int seed, int numLabels = 3)
    {
        var random = new Random(seed);
        var sequences = new List<EncodedSequence>();
        var labels = new List<float>();
        for (int i = 0; i < count; i++)
        {
            int label = random.Next(numLabels);
            int length = random.Next(3, 13);
            var ids = new int[length];
            for (int t = 0; t < length; t++)
            {
                bool onTopic = random.NextDouble() < 0.7;
                int band = onTopic ? label : random.Next(numLabels);
                int bandWidth = (TinyClassifier.VocabularySize - 1) / numLabels;
                ids[t] = 1 + band * bandWidth + random.Next(bandWidth);
            }
            sequences.Add(new EncodedSequence(ids, new int[length]));
            labels.Add(label);
        }
        return (sequences, labels);
    }

    public static EncoderBatch Batch(IReadOnlyList<EncodedSequence> sequences) => BatchCollator.Collate(sequences, PadTokenId, withTokenTypeIds: false);

    public static Tensor ClassLabels(IEnumerable<float> labels) => torch.tensor(labels.Select(l => (long)l).ToArray());

    /// <summary>A deep copy of every parameter, by name.</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module model)
    {
        using var noGrad = torch.no_grad();
        return model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
    }

    public static void DisposeAll(Dictionary<string, Tensor> snapshot)
    {
        foreach (var tensor in snapshot.Values) tensor.Dispose();
    }

    public static bool BitIdentical(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var same = a.eq(b);
        using var all = same.all();
        return all.item<bool>();
    }
}
