using Microsoft.ML.DeltaLoRA.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

/// <summary>
/// Passes every call through to a real scoring engine and records the rows and the batch size of each call, so that tests
/// see what the ML.NET layer asks of the engine (how many rows at once, in which order, when) while the scores stay real.
/// Disposes the real engine only when it <paramref name="ownsInner"/> (a PredictionEngine disposes its transformer).
/// </summary>
internal sealed class RecordingEngine(IScoringEngine inner, bool ownsInner) : IScoringEngine
{
    public List<(string[] FirstTexts, int BatchSize)> Calls { get; } = [];

    public IScoringEngine Inner => inner;

    public bool IsDisposed { get; private set; }

    public int OutputCount => inner.OutputCount;

    public string FormatTag => inner.FormatTag;

    public void Score(IReadOnlyList<string> firstTexts, IReadOnlyList<string>? secondTexts, int batchSize, Span<float> outputs)
    {
        Calls.Add((firstTexts.ToArray(), batchSize));
        inner.Score(firstTexts, secondTexts, batchSize, outputs);
    }

    public IReadOnlyDictionary<string, byte[]> SavePayload() => inner.SavePayload();

    public void Dispose()
    {
        IsDisposed = true;
        if (ownsInner) inner.Dispose();
    }
}
