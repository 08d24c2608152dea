namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>
/// Passes every call through to the fitted model's scorer and records the rows of each call, so that the benchmark knows the
/// batches the ML.NET layer actually formed (and so the padding they carried) without copying its batching rule.
/// </summary>
internal sealed class RecordingScorer(ITextScorer inner) : ITextScorer
{
    private readonly List<string[]> _calls = [];

    public IReadOnlyList<string[]> Calls => _calls;

    public int OutputCount => inner.OutputCount;

    public Type LoaderType => inner.LoaderType;

    public void Score(IReadOnlyList<string> firstTexts, IReadOnlyList<string>? secondTexts, Span<float> outputs)
    {
        _calls.Add(firstTexts.ToArray());
        inner.Score(firstTexts, secondTexts, outputs);
    }

    public int LengthOf(string firstText, string? secondText) => inner.LengthOf(firstText, secondText);

    public void Clear() => _calls.Clear();

    public IReadOnlyDictionary<string, byte[]> SavePayload() => inner.SavePayload();

    /// <summary>The inner scorer belongs to the fitted transformer, which disposes it.</summary>
    public void Dispose() { }
}
