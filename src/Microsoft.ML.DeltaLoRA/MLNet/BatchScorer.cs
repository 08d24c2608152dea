using Microsoft.ML.Data;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// Turns a scoring engine's raw outputs into column values: class probabilities (softmax of the logits) and the predicted class key
/// (1-based arg-max of the probabilities, 0 when they are NaN) for classification; the value itself for regression.
/// Serializes calls into the engine, so any number of cursors may share it. Rows handed over together (a cursor's look-ahead
/// window of up to <see cref="WindowSize"/> rows, <see cref="LookAheadWindows"/>) go to the engine in one call, which scores them in batches of at most
/// <see cref="BatchSize"/> rows of similar length (<c>Modeling.LengthGroups</c>), so that each forward pass pads little.
/// </summary>
internal sealed class BatchScorer : IDisposable
{
    private readonly IScoringEngine _engine;
    private readonly object _gate = new();
    private bool _disposed;

    public BatchScorer(IScoringEngine engine, PredictionColumns columns, int batchSize)
    {
        if (engine.OutputCount != columns.OutputCount)
            throw new InvalidOperationException($"The scoring engine has {engine.OutputCount} outputs, the prediction columns need {columns.OutputCount}.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The inference batch size must be at least 1.");
        _engine = engine;
        Columns = columns;
        BatchSize = batchSize;
    }

    public PredictionColumns Columns { get; }

    /// <summary>Rows per forward pass of the engine when transforming data.</summary>
    public int BatchSize { get; }

    /// <summary>
    /// Batches in the longest look-ahead window. Rows of consecutive batches differ in length, and a batch is padded to its
    /// longest row: on SST-2 dev, batches of 32 consecutive sentences held 1.97× as many tokens as the sentences; sorted
    /// windows of 4, 8, 16 and 32 batches brought that to 1.26, 1.14, 1.07 and 1.04.
    /// </summary>
    public const int BatchesPerWindow = 32;

    /// <summary>Windows hold fewer batches when batches are large, so that a window stays within this many rows (or one batch).</summary>
    public const int MaxWindowRows = 4096;

    /// <summary>The most rows a Transform cursor reads ahead and hands to <see cref="Score"/> at once: whole batches.</summary>
    public int WindowSize => BatchSize * Math.Clamp(MaxWindowRows / BatchSize, 1, BatchesPerWindow);

    /// <summary>The engine, for saving; throws once disposed. Not for scoring: use <see cref="Score"/>.</summary>
    public IScoringEngine Engine
    {
        get
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _engine;
            }
        }
    }

    /// <param name="firstTexts">One text per row.</param>
    /// <param name="secondTexts">One second text per row for text-pair models, otherwise null.</param>
    /// <param name="scores">At least rows × OutputCount values, row-major.</param>
    /// <param name="predictedKeys">At least rows values for classification; ignored for regression.</param>
    public void Score(IReadOnlyList<string> firstTexts, IReadOnlyList<string>? secondTexts, float[] scores, uint[]? predictedKeys)
    {
        int rows = firstTexts.Count;
        int outputs = Columns.OutputCount;
        if (rows == 0) return;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _engine.Score(firstTexts, secondTexts, BatchSize, scores.AsSpan(0, rows * outputs));
        }
        if (Columns.Task != PredictionTask.MulticlassClassification) return;
        for (int row = 0; row < rows; row++)
        {
            var probabilities = scores.AsSpan(row * outputs, outputs);
            Softmax(probabilities);
            predictedKeys![row] = PredictedKey(probabilities);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _engine.Dispose();
        }
    }

    /// <summary>In place, computed in double with the maximum subtracted first.</summary>
    internal static void Softmax(Span<float> logits)
    {
        double max = double.NegativeInfinity;
        foreach (var logit in logits) max = Math.Max(max, logit);
        double sum = 0;
        foreach (var logit in logits) sum += Math.Exp(logit - max);
        for (int i = 0; i < logits.Length; i++) logits[i] = (float)(Math.Exp(logits[i] - max) / sum);
    }

    /// <summary>1-based index of the first largest value; 0 (missing) when any value is NaN.</summary>
    internal static uint PredictedKey(ReadOnlySpan<float> probabilities)
    {
        int best = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            if (float.IsNaN(probabilities[i])) return 0;
            if (probabilities[i] > probabilities[best]) best = i;
        }
        return (uint)best + 1;
    }
}

/// <summary>
/// Texts of up to a batch of consecutive rows and, once <see cref="Score"/> ran, their output values; hands out getters for
/// the output columns that read the row a caller points at.
/// </summary>
internal sealed class ScoredBatch
{
    private readonly BatchScorer _scorer;
    private readonly List<string> _firstTexts;
    private readonly List<string>? _secondTexts;
    private readonly float[] _scores;
    private readonly uint[]? _predictedKeys;

    public ScoredBatch(BatchScorer scorer, int capacity)
    {
        _scorer = scorer;
        Capacity = capacity;
        _firstTexts = new List<string>(capacity);
        _secondTexts = scorer.Columns.Sentence2ColumnName is null ? null : new List<string>(capacity);
        _scores = new float[capacity * scorer.Columns.OutputCount];
        _predictedKeys = scorer.Columns.Task == PredictionTask.MulticlassClassification ? new uint[capacity] : null;
    }

    public int Capacity { get; }

    public int Count => _firstTexts.Count;

    public bool IsScored { get; private set; }

    public void Clear()
    {
        _firstTexts.Clear();
        _secondTexts?.Clear();
        IsScored = false;
    }

    public void Add(string firstText, string? secondText)
    {
        if (Count == Capacity) throw new InvalidOperationException($"The batch already holds {Capacity} rows.");
        _firstTexts.Add(firstText);
        _secondTexts?.Add(secondText ?? "");
        IsScored = false;
    }

    public void Score()
    {
        _scorer.Score(_firstTexts, _secondTexts, _scores, _predictedKeys);
        IsScored = true;
    }

    /// <summary>
    /// A getter for an output column. <paramref name="currentRow"/> makes sure the batch holds the caller's current row
    /// (scoring it if needed) and returns its index in the batch.
    /// </summary>
    public ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column, bool isScore, Func<int> currentRow)
    {
        var columns = _scorer.Columns;
        int outputs = columns.OutputCount;
        Delegate getter;
        Type expected;
        if (!isScore)
        {
            expected = typeof(uint);
            getter = (ValueGetter<uint>)((ref uint value) => value = _predictedKeys![currentRow()]);
        }
        else if (columns.Task == PredictionTask.Regression)
        {
            expected = typeof(float);
            getter = (ValueGetter<float>)((ref float value) => value = _scores[currentRow()]);
        }
        else
        {
            expected = typeof(VBuffer<float>);
            getter = (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
            {
                int row = currentRow();
                var editor = VBufferEditor.Create(ref value, outputs);
                _scores.AsSpan(row * outputs, outputs).CopyTo(editor.Values);
                value = editor.Commit();
            });
        }
        if (typeof(TValue) != expected)
            throw new InvalidOperationException($"Column '{column.Name}' holds {expected.Name} values; a getter of {typeof(TValue).Name} was asked for.");
        return (ValueGetter<TValue>)getter;
    }
}
