using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// A fine-tuned text model as an ML.NET transformer. <see cref="Transform"/> is lazy and scores
/// at most <see cref="InferenceBatchSize"/> rows per forward pass, keeping the row order; <c>CreatePredictionEngine</c> works
/// (the model is a row-to-row mapper); <c>MLContext.Model.Save</c>/<c>Load</c> round-trip it, also in a fresh process.
/// Classification adds Score (class probabilities, vector of Single) and PredictedLabel (the label's key type);
/// regression adds Score (Single). Dispose it to free the model's memory.
/// </summary>
public sealed class DeltaLoRATransformer : ITransformer, IDisposable
{
    internal DeltaLoRATransformer(IHostEnvironment environment, BatchScorer scorer)
    {
        Environment = environment;
        Scorer = scorer;
    }

    internal IHostEnvironment Environment { get; }

    internal BatchScorer Scorer { get; }

    internal PredictionColumns Columns => Scorer.Columns;

    public string Sentence1ColumnName => Columns.Sentence1ColumnName;

    public string? Sentence2ColumnName => Columns.Sentence2ColumnName;

    public string ScoreColumnName => Columns.ScoreColumnName;

    /// <summary>Null for regression.</summary>
    public string? PredictedLabelColumnName => Columns.PredictedLabelColumnName;

    /// <summary>Number of classes, or 1 for regression.</summary>
    public int OutputCount => Columns.OutputCount;

    public int InferenceBatchSize => Scorer.BatchSize;

    /// <summary>
    /// Whether this model scores with ONNX Runtime (made by <c>MLContext.Model.WithOnnxRuntimeScoring</c>, or loaded from a zip that
    /// holds the ONNX graph) rather than with the fine-tuned TorchSharp network.
    /// </summary>
    public bool ScoresWithOnnxRuntime => Scorer.Engine is OnnxRuntimeScoringEngine;

    /// <summary>
    /// How <c>MLContext.Model.Save</c> writes this model (<see cref="DeltaLoRAOptions.SaveMode"/>): <see cref="ModelSaveMode.Compact"/>
    /// only when it was asked for and the model records a LoRA or Delta-LoRA delta; a fully fine-tuned model saves in full.
    /// A model loaded from a compact zip saves compact again.
    /// </summary>
    public ModelSaveMode SaveMode => (Scorer.Engine as TorchSharpScoringEngine)?.SaveMode ?? ModelSaveMode.Full;

    public bool IsRowToRowMapper => true;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => new ScoringRowMapper(inputSchema, Scorer).OutputSchema;

    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new ScoredDataView(input, new ScoringRowMapper(input.Schema, Scorer));
    }

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new ScoringRowMapper(inputSchema, Scorer);

    void ICanSaveModel.Save(ModelSaveContext ctx) => TransformerModelFile.Save(ctx, this);

    public void Dispose() => Scorer.Dispose();
}
