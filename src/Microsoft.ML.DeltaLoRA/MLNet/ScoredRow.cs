using Microsoft.ML.Data;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// One input row plus the added columns, scored when first read at each input position (the row may move, as a
/// prediction engine's input row does).
/// </summary>
internal sealed class ScoredRow : DataViewRow
{
    private readonly ScoringBinding _binding;
    private readonly DataViewRow _input;
    private readonly ScoredBatch? _batch;
    private readonly ValueGetter<ReadOnlyMemory<char>>? _readFirst;
    private readonly ValueGetter<ReadOnlyMemory<char>>? _readSecond;
    private long _scoredPosition = -1;

    public ScoredRow(ScoringBinding binding, DataViewRow input, bool needsScores)
    {
        _binding = binding;
        _input = input;
        if (!needsScores) return;
        _batch = new ScoredBatch(binding.Scorer, capacity: 1);
        _readFirst = input.GetGetter<ReadOnlyMemory<char>>(binding.FirstText);
        _readSecond = binding.SecondText is { } second ? input.GetGetter<ReadOnlyMemory<char>>(second) : null;
    }

    public override DataViewSchema Schema => _binding.OutputSchema;
    public override long Position => _input.Position;
    public override long Batch => _input.Batch;
    public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column)
        => _binding.IsOutputColumn(column.Index) ? _batch is not null : _input.IsColumnActive(_input.Schema[column.Index]);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!_binding.IsOutputColumn(column.Index)) return _input.GetGetter<TValue>(_input.Schema[column.Index]);
        if (_batch is null) throw new InvalidOperationException($"Column '{column.Name}' was not requested when this row was created.");
        return _batch.GetGetter<TValue>(column, column.Index == _binding.ScoreIndex, ScoreCurrentRow);
    }

    private int ScoreCurrentRow()
    {
        var batch = _batch!;
        if (batch.IsScored && _scoredPosition == _input.Position) return 0;
        var first = default(ReadOnlyMemory<char>);
        var second = default(ReadOnlyMemory<char>);
        _readFirst!(ref first);
        _readSecond?.Invoke(ref second);
        batch.Clear();
        batch.Add(first.ToString(), _readSecond is null ? null : second.ToString());
        batch.Score();
        _scoredPosition = _input.Position;
        return 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _input.Dispose();
        base.Dispose(disposing);
    }
}
