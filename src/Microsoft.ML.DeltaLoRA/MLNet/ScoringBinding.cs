namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// A fitted model bound to one input schema: the text columns it reads there, and the output schema (input columns first,
/// at the same indices, then Score and, for classification, PredictedLabel).
/// </summary>
internal sealed class ScoringBinding
{
    public ScoringBinding(DataViewSchema inputSchema, BatchScorer scorer)
    {
        var columns = scorer.Columns;
        Scorer = scorer;
        InputSchema = inputSchema;
        FirstText = InputColumns.RequireText(inputSchema, columns.Sentence1ColumnName, "text");
        SecondText = columns.Sentence2ColumnName is null ? null : InputColumns.RequireText(inputSchema, columns.Sentence2ColumnName, "second text");
        OutputSchema = columns.AppendTo(inputSchema);
        ScoreIndex = inputSchema.Count;
        PredictedLabelIndex = columns.PredictedLabelColumnName is null ? -1 : inputSchema.Count + 1;
    }

    public BatchScorer Scorer { get; }
    public DataViewSchema InputSchema { get; }
    public DataViewSchema OutputSchema { get; }
    public DataViewSchema.Column FirstText { get; }
    public DataViewSchema.Column? SecondText { get; }
    public int ScoreIndex { get; }

    /// <summary>-1 for regression.</summary>
    public int PredictedLabelIndex { get; }

    public IEnumerable<DataViewSchema.Column> TextColumns => SecondText is null ? [FirstText] : [FirstText, SecondText.Value];

    public bool IsOutputColumn(int index) => index == ScoreIndex || index == PredictedLabelIndex;

    /// <summary>Splits requested output-schema columns into input columns and whether any added column is asked for.</summary>
    public (List<DataViewSchema.Column> InputColumns, bool NeedsScores) Split(IEnumerable<DataViewSchema.Column> outputColumns)
    {
        var inputs = new List<DataViewSchema.Column>();
        bool needsScores = false;
        foreach (var column in outputColumns)
        {
            if (IsOutputColumn(column.Index)) needsScores = true;
            else if (column.Index < InputSchema.Count) inputs.Add(InputSchema[column.Index]);
            else throw new ArgumentOutOfRangeException(nameof(outputColumns), $"Column '{column.Name}' (index {column.Index}) is not in the output schema.");
        }
        return (inputs, needsScores);
    }

    /// <summary>The input columns needed to compute <paramref name="outputColumns"/>.</summary>
    public IEnumerable<DataViewSchema.Column> Dependencies(IEnumerable<DataViewSchema.Column> outputColumns)
    {
        var (inputs, needsScores) = Split(outputColumns);
        return needsScores ? inputs.Concat(TextColumns).DistinctBy(c => c.Index).ToList() : inputs;
    }
}
