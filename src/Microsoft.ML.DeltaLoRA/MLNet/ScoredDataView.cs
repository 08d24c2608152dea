namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// The lazy result of <see cref="DeltaLoRATransformer.Transform"/>: nothing is scored until a cursor reads an added column.
/// Row order is the source's; shuffling is not offered (scoring reads the source twice in the same order).
/// </summary>
internal sealed class ScoredDataView(IDataView source, ScoringBinding binding) : IDataView
{
    public DataViewSchema Schema => binding.OutputSchema;

    public bool CanShuffle => false;

    public long? GetRowCount() => source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var (inputColumns, needsScores) = binding.Split(columnsNeeded);
        var rows = source.GetRowCursor(inputColumns);
        try
        {
            return new ScoringCursor(binding, rows, needsScores ? source.GetRowCursor(binding.TextColumns) : null);
        }
        catch
        {
            rows.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Several cursors only when no added column is needed (the source's partition is passed through); scoring uses one
    /// cursor, which the contract allows (the count asked for is a suggestion).
    /// </summary>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var (inputColumns, needsScores) = binding.Split(columnsNeeded);
        if (needsScores) return [GetRowCursor(columnsNeeded)];
        return source.GetRowCursorSet(inputColumns, n).Select(cursor => (DataViewRowCursor)new ScoringCursor(binding, cursor, null)).ToArray();
    }
}
