using Microsoft.ML.Data;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// A fitted model bound to one input schema: the text columns it reads there, and the output schema (input columns first,
/// at the same indices, then Score and, for classification, PredictedLabel). Scores a row at a time, as
/// <c>PredictionEngine</c> and composed pipelines ask; <see cref="ScoredDataView"/> uses the same binding to score in batches.
/// </summary>
internal sealed class ScoringRowMapper : IRowToRowMapper
{
    public ScoringRowMapper(DataViewSchema inputSchema, BatchScorer scorer)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
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

    /// <summary>The input columns needed to compute <paramref name="dependingColumns"/>.</summary>
    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var (inputs, needsScores) = Split(dependingColumns);
        return needsScores ? inputs.Concat(TextColumns).DistinctBy(c => c.Index).ToList() : inputs;
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        if (input.Schema != InputSchema)
            throw new ArgumentOutOfRangeException(nameof(input), "The row's schema is not the input schema this mapper was bound to.");
        var (_, needsScores) = Split(activeColumns);
        return new ScoredRow(this, input, needsScores);
    }

    /// <summary>
    /// One input row plus the added columns, scored when first read at each input position (the row may move, as a
    /// prediction engine's input row does).
    /// </summary>
    private sealed class ScoredRow : DataViewRow
    {
        private readonly ScoringRowMapper _mapper;
        private readonly DataViewRow _input;
        private readonly ScoredBatch? _batch;
        private readonly ValueGetter<ReadOnlyMemory<char>>? _readFirst;
        private readonly ValueGetter<ReadOnlyMemory<char>>? _readSecond;
        private long _scoredPosition = -1;

        public ScoredRow(ScoringRowMapper mapper, DataViewRow input, bool needsScores)
        {
            _mapper = mapper;
            _input = input;
            if (!needsScores) return;
            _batch = new ScoredBatch(mapper.Scorer, capacity: 1);
            _readFirst = input.GetGetter<ReadOnlyMemory<char>>(mapper.FirstText);
            _readSecond = mapper.SecondText is { } second ? input.GetGetter<ReadOnlyMemory<char>>(second) : null;
        }

        public override DataViewSchema Schema => _mapper.OutputSchema;
        public override long Position => _input.Position;
        public override long Batch => _input.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column)
            => _mapper.IsOutputColumn(column.Index) ? _batch is not null : _input.IsColumnActive(_input.Schema[column.Index]);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_mapper.IsOutputColumn(column.Index)) return _input.GetGetter<TValue>(_input.Schema[column.Index]);
            if (_batch is null) throw new InvalidOperationException($"Column '{column.Name}' was not requested when this row was created.");
            return _batch.GetGetter<TValue>(column, column.Index == _mapper.ScoreIndex, ScoreCurrentRow);
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
}
