using Microsoft.ML.DeltaLoRA.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>
/// One fixed batch of random token ids, every sequence exactly <see cref="RunSettings.SequenceLength"/> tokens (no padding:
/// training throughput at the maximum length), with random labels; the same batch every step.
/// </summary>
internal sealed class TrainingBatch : IDisposable
{
    public TrainingBatch(BenchmarkModel model, RunSettings settings, int seed = 1)
    {
        using var generator = new torch.Generator((ulong)seed);
        var inputIds = torch.randint(1, model.VocabularySize, [settings.BatchSize, settings.SequenceLength], dtype: ScalarType.Int64, generator: generator);
        var attentionMask = torch.ones([settings.BatchSize, settings.SequenceLength], dtype: ScalarType.Int64);
        Batch = new EncoderBatch(inputIds, attentionMask);
        Labels = torch.randint(0, BenchmarkModel.NumLabels, [settings.BatchSize], dtype: ScalarType.Int64, generator: generator);
    }

    public EncoderBatch Batch { get; }
    public Tensor Labels { get; }

    public void Dispose()
    {
        Batch.Dispose();
        Labels.Dispose();
    }
}
