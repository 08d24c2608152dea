using Microsoft.ML.Data;

namespace Microsoft.ML.DeltaLoRA.MLNet;

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
