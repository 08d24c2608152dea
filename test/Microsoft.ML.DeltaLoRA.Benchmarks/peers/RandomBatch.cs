using Microsoft.ML.DeltaLoRA.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Benchmarks.Peers;

/// <summary>One fixed batch of random token ids in [1, vocabulary), no padding, with random labels (what the PyTorch peer draws too).</summary>
internal sealed class RandomBatch : IDisposable
{
    public RandomBatch(long vocabularySize, int batchSize, int length, int seed = 1)
    {
        using var generator = new torch.Generator((ulong)seed);
        var inputIds = torch.randint(1, vocabularySize, [batchSize, length], dtype: ScalarType.Int64, generator: generator);
        var attentionMask = torch.ones([batchSize, length], dtype: ScalarType.Int64);
        Batch = new EncoderBatch(inputIds, attentionMask);
        Labels = torch.randint(0, BenchmarkModel.NumLabels, [batchSize], dtype: ScalarType.Int64, generator: generator);
    }

    public EncoderBatch Batch { get; }
    public Tensor Labels { get; }

    public void Dispose()
    {
        Batch.Dispose();
        Labels.Dispose();
    }
}
