using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace DeltaLoRA.Cli.Training;

/// <summary>
/// The rows as the trainer reads them: for classification the label's values mapped to keys (<see cref="Keys"/>, fitted on the
/// training rows, ordered by value), for regression the numbers as they are; checked for a usable label first.
/// <see cref="LabelWarnings"/> name classes that look like one class written in different ways (<see cref="NearDuplicateLabels"/>).
/// </summary>
internal sealed record TrainerInput(ITransformer? Keys, IDataView Train, IDataView? Validation, int? Classes, IReadOnlyList<string> LabelWarnings)
{
    public static TrainerInput Prepare(MLContext ml, TrainingData data, TrainSettings settings)
    {
        var label = data.Columns.Label.Name;
        // Regression labels that are not numbers were skipped, and reported, when the rows were read (TrainingData).
        if (settings.Task == TaskKind.Regression) return new TrainerInput(null, data.Train, data.Validation, null, []);
        var keys = ml.Transforms.Conversion.MapValueToKey(label, keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(data.Train);
        var train = keys.Transform(data.Train);
        var source = settings.Dataset is null ? "the demo data" : $"'{settings.Dataset}'";
        int classes = LabelCheck.RequireClasses(train, label, data.TrainRows, source);
        var warnings = NearDuplicateLabels.Find(LabelCheck.ClassNames(train, label), source);
        return new TrainerInput(keys, train, data.Validation is null ? null : keys.Transform(data.Validation), classes, warnings);
    }

    /// <summary>Label to key, the fine-tuned model, predicted key back to the label's values: one chain that reads raw rows.</summary>
    public ITransformer Compose(MLContext ml, DeltaLoRATransformer scorer)
    {
        if (Keys is null) return new TransformerChain<ITransformer>(scorer);
        var keyToValue = ml.Transforms.Conversion.MapKeyToValue(scorer.PredictedLabelColumnName!).Fit(scorer.Transform(Train));
        return new TransformerChain<ITransformer>(Keys, scorer, keyToValue);
    }
}
