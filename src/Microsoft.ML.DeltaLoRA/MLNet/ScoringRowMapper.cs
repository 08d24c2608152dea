using Microsoft.ML.Data;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>Row-at-a-time scoring, which <c>PredictionEngine</c> and composed pipelines use.</summary>
internal sealed class ScoringRowMapper(ScoringBinding binding) : IRowToRowMapper
{
    public DataViewSchema InputSchema => binding.InputSchema;

    public DataViewSchema OutputSchema => binding.OutputSchema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
        => binding.Dependencies(dependingColumns);

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        if (input.Schema != binding.InputSchema)
            throw new ArgumentOutOfRangeException(nameof(input), "The row's schema is not the input schema this mapper was bound to.");
        var (_, needsScores) = binding.Split(activeColumns);
        return new ScoredRow(binding, input, needsScores);
    }
}
