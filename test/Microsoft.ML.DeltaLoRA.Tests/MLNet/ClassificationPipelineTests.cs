using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

public class ClassificationPipelineTests
{
    /// <summary>Rows of a GLUE TSV read without ML.NET: the columns, split on tabs.</summary>
    private static string[][] TsvRows(string path) => File.ReadLines(path).Skip(1).Select(line => line.Split('\t')).ToArray();

    [SharedFact]
    public void Fit_reads_every_row_with_its_class()
    {
        var ml = new MLContext(seed: 1);
        var data = Sst2Loader(ml).Load(Sst2Train);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);

        var file = TsvRows(Sst2Train);
        var classOrder = file.Select(r => r[1]).Distinct().ToList(); // MapValueToKey numbers values by first occurrence
        var rows = RowsReadForFit(keyed, ClassificationOptions(), PredictionTask.MulticlassClassification);
        Assert.Equal(2, rows.OutputCount);
        Assert.Equal(file.Length, rows.Count);
        Assert.Null(rows.SecondTexts);
        Assert.Equal(file.Select(r => r[0]), rows.FirstTexts);
        Assert.Equal(file.Select(r => classOrder.IndexOf(r[1])), rows.ClassIndices!);
    }

    [SharedFact]
    public void Evaluate_gives_the_metrics_computed_by_hand_from_the_scores()
    {
        var ml = new MLContext(seed: 1);
        var loader = Sst2Loader(ml);
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.DeltaLoRA(ClassificationOptions()))
            .Fit(loader.Load(Sst2Train));
        var scored = model.Transform(loader.Load(Sst2Eval));

        var metrics = ml.MulticlassClassification.Evaluate(scored);

        var scores = ReadScores(scored);
        var labels = ReadColumn<uint>(scored, "Label");
        Assert.Equal(TsvRows(Sst2Eval).Length, scores.Length);
        foreach (var row in scores) Assert.Equal(1.0, row.Sum(p => (double)p), 5);
        double accuracy = scores.Zip(labels).Average(x => Array.IndexOf(x.First, x.First.Max()) + 1 == x.Second ? 1.0 : 0.0);
        double logLoss = scores.Zip(labels).Average(x => -Math.Log(Math.Max(x.First[x.Second - 1], 1e-15)));
        Assert.Equal(accuracy, metrics.MicroAccuracy, 12);
        Assert.Equal(logLoss, metrics.LogLoss, 6);
        Assert.InRange(metrics.MacroAccuracy, 0, 1);
        Assert.Equal(2, metrics.ConfusionMatrix.NumberOfClasses);
    }

    [SharedFact]
    public void PredictedLabel_maps_back_to_the_label_values_and_Score_slots_are_named_after_them()
    {
        var ml = new MLContext(seed: 1);
        var loader = Sst2Loader(ml);
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.DeltaLoRA(ClassificationOptions()))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(loader.Load(Sst2Train));
        var scored = model.Transform(loader.Load(Sst2Eval));

        var classOrder = TsvRows(Sst2Train).Select(r => r[1]).Distinct().ToArray();
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        scored.Schema["Score"].GetSlotNames(ref slotNames);
        Assert.Equal(classOrder, slotNames.DenseValues().Select(s => s.ToString()));

        Assert.Equal(NumberDataViewType.Single, scored.Schema["PredictedLabel"].Type);
        var predicted = ReadColumn<float>(scored, "PredictedLabel");
        var expected = ReadScores(scored).Select(s => float.Parse(classOrder[Array.IndexOf(s, s.Max())])).ToArray();
        Assert.Equal(expected, predicted);
    }

    [SharedFact]
    public void Estimator_output_schema_matches_the_fitted_transformer_output_schema()
    {
        var ml = new MLContext(seed: 1);
        var loader = Sst2Loader(ml);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.DeltaLoRA(ClassificationOptions()))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var predictedShape = pipeline.GetOutputSchema(ShapeOf(loader.GetOutputSchema()));
        var actual = ShapeOf(pipeline.Fit(loader.Load(Sst2Train)).GetOutputSchema(loader.GetOutputSchema()));

        foreach (var name in new[] { "Score", "PredictedLabel" })
        {
            var predicted = Assert.Single(predictedShape, c => c.Name == name);
            var fitted = Assert.Single(actual, c => c.Name == name);
            Assert.Equal((fitted.Kind, fitted.ItemType, fitted.IsKey), (predicted.Kind, predicted.ItemType, predicted.IsKey));
            Assert.Equal(fitted.Annotations.Select(a => (a.Name, a.Kind, a.ItemType)).OrderBy(a => a.Name),
                predicted.Annotations.Select(a => (a.Name, a.Kind, a.ItemType)).OrderBy(a => a.Name));
        }
    }
}
