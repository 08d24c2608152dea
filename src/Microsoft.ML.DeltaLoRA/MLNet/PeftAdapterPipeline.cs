using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// A Hugging Face PEFT LoRA adapter with its base as a scoring pipeline, shaped like a fitted training pipeline (and so like the
/// CLI's model zips): label → key, the merged model (<see cref="DeltaLoRATransformer"/>), predicted key → label; a one-output
/// adapter is a regression model, the scorer alone. Nothing is trained; the class names are given (PEFT stores none).
/// </summary>
internal static class PeftAdapterPipeline
{
    /// <summary>The trainer's default token limit.</summary>
    private const int DefaultMaxSequenceLength = 128;

    /// <summary>The pipeline, and the input schema to save it with.</summary>
    /// <param name="ml">The context the pipeline belongs to.</param>
    /// <param name="adapterFolder">The PEFT adapter folder.</param>
    /// <param name="baseModel">Its base model; null: the adapter's base_model_name_or_path.</param>
    /// <param name="classNames">The names of the head's outputs in order; null: LABEL_0, LABEL_1, … as transformers names them.</param>
    /// <param name="textColumnName">The text column the model reads.</param>
    /// <param name="labelColumnName">The label column of the input schema (text for classification, Single for regression).</param>
    /// <param name="maxSequenceLength">Longest input in tokens; null: 128, or the base's limit when lower.</param>
    /// <param name="batchSize">Rows per forward pass when scoring.</param>
    public static (ITransformer Model, DataViewSchema InputSchema) Create(MLContext ml, string adapterFolder, string? baseModel, IReadOnlyList<string>? classNames,
        string textColumnName, string labelColumnName, int? maxSequenceLength = null, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(ml);
        if (textColumnName == labelColumnName)
            throw new ArgumentException($"The text and label columns are both named '{textColumnName}'.", nameof(labelColumnName));
        var model = PeftAdapterImport.Load(adapterFolder, baseModel);
        try
        {
            int tokens = maxSequenceLength ?? Math.Min(DefaultMaxSequenceLength, model.Network.MaxSequenceLength);
            if (tokens < 1 || tokens > model.Network.MaxSequenceLength)
                throw new ArgumentOutOfRangeException(nameof(maxSequenceLength), tokens,
                    $"The base model of '{adapterFolder}' reads 1 to {model.Network.MaxSequenceLength} tokens; the maximum sequence length {tokens} is outside that.");
            var engine = new TorchSharpScoringEngine(model, tokens, TorchThreads.ScoringCount ?? TorchThreads.DefaultCount);
            var environment = (IHostEnvironment)ml;
            if (model.NumLabels == 1)
            {
                if (classNames is not null)
                    throw new ArgumentException($"The PEFT adapter '{adapterFolder}' has a one-output (regression) head, which has no classes.", nameof(classNames));
                var regression = new PredictionColumns(PredictionTask.Regression, textColumnName, null, "Score", null, 1, null);
                var schema = ml.Data.LoadFromEnumerable(Array.Empty<RegressionRow>(), Definition<RegressionRow>(textColumnName, labelColumnName)).Schema;
                return (new DeltaLoRATransformer(environment, new BatchScorer(engine, regression, batchSize)), schema);
            }

            var names = classNames ?? Enumerable.Range(0, model.NumLabels).Select(i => $"LABEL_{i}").ToArray();
            if (names.Count != model.NumLabels || names.Distinct(StringComparer.Ordinal).Count() != names.Count)
                throw new ArgumentException(
                    $"The PEFT adapter '{adapterFolder}' has a head of {model.NumLabels} outputs; give {model.NumLabels} distinct class names, in the head's order (given: {string.Join(", ", names)}).",
                    nameof(classNames));
            // The key values follow first appearance, so one row per class in the head's order numbers the classes as the head does.
            var labels = ml.Data.LoadFromEnumerable(names.Select(name => new ClassRow { Text = "", Label = name }), Definition<ClassRow>(textColumnName, labelColumnName));
            var toKey = ml.Transforms.Conversion.MapValueToKey(labelColumnName).Fit(labels);
            var keyValues = toKey.GetOutputSchema(labels.Schema)[labelColumnName].Annotations;
            var columns = new PredictionColumns(PredictionTask.MulticlassClassification, textColumnName, null, "Score", "PredictedLabel", model.NumLabels, keyValues);
            var scorer = new DeltaLoRATransformer(environment, new BatchScorer(engine, columns, batchSize));
            var toValue = ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scorer.Transform(toKey.Transform(labels)));
            return (new TransformerChain<ITransformer>(toKey, scorer, toValue), labels.Schema);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static SchemaDefinition Definition<TRow>(string textColumnName, string labelColumnName)
    {
        var definition = SchemaDefinition.Create(typeof(TRow));
        definition[nameof(ClassRow.Text)].ColumnName = textColumnName;
        definition[nameof(ClassRow.Label)].ColumnName = labelColumnName;
        return definition;
    }

    private sealed class ClassRow
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }

    private sealed class RegressionRow
    {
        public string Text { get; set; } = "";
        public float Label { get; set; }
    }
}
