using Microsoft.ML.Data;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// The lazy result of <see cref="DeltaLoRATransformer.Transform"/>: nothing is scored until a cursor reads an added column.
/// Row order is the source's; shuffling is not offered (scoring reads the source twice in the same order).
/// It answers ML.NET's ONNX converter in ScoredDataView.Onnx.cs.
/// </summary>
internal sealed partial class ScoredDataView(IDataView source, ScoringRowMapper mapper) : IDataView
{
    /// <summary>The scored input (<c>IDataTransform.Source</c>, which ML.NET's ONNX converter walks back through).</summary>
    public IDataView Source => source;

    public DataViewSchema Schema => mapper.OutputSchema;

    public bool CanShuffle => false;

    public long? GetRowCount() => source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var (inputColumns, needsScores) = mapper.Split(columnsNeeded);
        var rows = source.GetRowCursor(inputColumns);
        try
        {
            return new ScoringCursor(mapper, rows, needsScores ? source.GetRowCursor(mapper.TextColumns) : null, source.GetRowCount());
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
        var (inputColumns, needsScores) = mapper.Split(columnsNeeded);
        if (needsScores) return [GetRowCursor(columnsNeeded)];
        return source.GetRowCursorSet(inputColumns, n).Select(cursor => (DataViewRowCursor)new ScoringCursor(mapper, cursor, null, null)).ToArray();
    }
}

/// <summary>
/// A cursor over scored data. Input columns come from a cursor over the source data. When an added column is active,
/// a second source cursor runs up to one window ahead, reading only the text columns; each window of texts is scored in one
/// call (in batches of similar length), and the two cursors' row ids are checked to agree, so row order is kept. Window sizes
/// follow <see cref="LookAheadWindows"/>: one batch first, so that reading a few rows costs no more than one batch, then growing
/// windows up to <see cref="BatchScorer.WindowSize"/> rows, so that long scans get long windows and little padding.
/// </summary>
file sealed class ScoringCursor : DataViewRowCursor
{
    private readonly ScoringRowMapper _mapper;
    private readonly DataViewRowCursor _rows;
    private readonly ValueGetter<DataViewRowId>? _rowId;
    private readonly DataViewRowCursor? _textRows;
    private readonly ValueGetter<ReadOnlyMemory<char>>? _readFirst;
    private readonly ValueGetter<ReadOnlyMemory<char>>? _readSecond;
    private readonly ValueGetter<DataViewRowId>? _textRowId;
    private readonly ScoredBatch? _batch;
    private readonly DataViewRowId[]? _batchIds;
    private readonly LookAheadWindows _windows;
    private int _indexInBatch = -1;
    private int _window;
    private long _rowsRead;

    /// <param name="mapper">The model bound to the source schema.</param>
    /// <param name="rows">Source cursor for the input columns.</param>
    /// <param name="textRows">Source cursor for the text columns, in the same order; null when no added column is active.</param>
    /// <param name="rowCount">The source's row count, when it knows it.</param>
    public ScoringCursor(ScoringRowMapper mapper, DataViewRowCursor rows, DataViewRowCursor? textRows, long? rowCount)
    {
        _mapper = mapper;
        _rows = rows;
        _textRows = textRows;
        if (textRows is null) return;
        _rowId = rows.GetIdGetter();
        _textRowId = textRows.GetIdGetter();
        _readFirst = textRows.GetGetter<ReadOnlyMemory<char>>(mapper.FirstText);
        _readSecond = mapper.SecondText is { } second ? textRows.GetGetter<ReadOnlyMemory<char>>(second) : null;
        _batch = new ScoredBatch(mapper.Scorer, mapper.Scorer.WindowSize);
        _batchIds = new DataViewRowId[mapper.Scorer.WindowSize];
        _windows = new LookAheadWindows(mapper.Scorer.BatchSize, mapper.Scorer.WindowSize, rowCount);
        _window = _windows.Next(0, 0);
    }

    public override DataViewSchema Schema => _mapper.OutputSchema;
    public override long Position => _rows.Position;
    public override long Batch => _rows.Batch;

    public override bool MoveNext()
    {
        if (!_rows.MoveNext()) return false;
        if (_batch is null) return true;
        if (++_indexInBatch >= _batch.Count)
        {
            ReadNextBatch();
            _indexInBatch = 0;
        }
        var id = default(DataViewRowId);
        _rowId!(ref id);
        if (!id.Equals(_batchIds![_indexInBatch]))
            throw new InvalidOperationException($"The source data returned rows in a different order to two cursors (row {Position}); scoring needs a repeatable row order.");
        return true;
    }

    private void ReadNextBatch()
    {
        var batch = _batch!;
        batch.Clear();
        var first = default(ReadOnlyMemory<char>);
        var second = default(ReadOnlyMemory<char>);
        while (batch.Count < _window && _textRows!.MoveNext())
        {
            _textRowId!(ref _batchIds![batch.Count]);
            _readFirst!(ref first);
            _readSecond?.Invoke(ref second);
            batch.Add(first.ToString(), _readSecond is null ? null : second.ToString());
        }
        if (batch.Count == 0)
            throw new InvalidOperationException($"The source data returned fewer rows to the text cursor than to the row cursor (row {Position}); scoring needs a repeatable row order.");
        batch.Score();
        _rowsRead += batch.Count;
        _window = _windows.Next(_window, _rowsRead);
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => _rows.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column)
        => _mapper.IsOutputColumn(column.Index) ? _batch is not null : _rows.IsColumnActive(_rows.Schema[column.Index]);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!_mapper.IsOutputColumn(column.Index)) return _rows.GetGetter<TValue>(_rows.Schema[column.Index]);
        if (_batch is null) throw new InvalidOperationException($"Column '{column.Name}' was not requested when this cursor was created.");
        return _batch.GetGetter<TValue>(column, column.Index == _mapper.ScoreIndex, CurrentIndexInBatch);
    }

    private int CurrentIndexInBatch()
    {
        if (_indexInBatch < 0 || _indexInBatch >= _batch!.Count) throw new InvalidOperationException("The cursor is not on a row.");
        return _indexInBatch;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _rows.Dispose();
            _textRows?.Dispose();
        }
        base.Dispose(disposing);
    }
}
