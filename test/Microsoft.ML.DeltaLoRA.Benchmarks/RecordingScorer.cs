using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Modeling;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>
/// Passes every call through to the fitted model's scoring engine and records the rows and batch size of each call (cheaply, while
/// timed), so that the benchmark can afterwards work out the batches the model formed (and so the padding they carried) with the
/// library's own grouping, <see cref="LengthGroups"/>, over the rows' token counts.
/// </summary>
internal sealed class RecordingScorer(TorchSharpScoringEngine inner) : IScoringEngine
{
    private readonly List<(string[] Rows, int BatchSize)> _calls = [];

    /// <summary>The forward passes of the recorded calls, in order: each pass's rows.</summary>
    public IEnumerable<string[]> Batches()
    {
        foreach (var (rows, batchSize) in _calls)
        {
            var lengths = rows.Select(text => inner.Model.Tokenizer.Encode(text, null, inner.MaxSequenceLength).Length).ToArray();
            foreach (var batch in LengthGroups.Batches(lengths, batchSize)) yield return batch.Select(row => rows[row]).ToArray();
        }
    }

    public int OutputCount => inner.OutputCount;

    public string FormatTag => inner.FormatTag;

    public void Score(IReadOnlyList<string> firstTexts, IReadOnlyList<string>? secondTexts, int batchSize, Span<float> outputs)
    {
        _calls.Add((firstTexts.ToArray(), batchSize));
        inner.Score(firstTexts, secondTexts, batchSize, outputs);
    }

    public void Clear() => _calls.Clear();

    public IReadOnlyDictionary<string, byte[]> SavePayload() => inner.SavePayload();

    /// <summary>The inner engine belongs to the fitted transformer, which disposes it.</summary>
    public void Dispose() { }
}
