using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

public class RegressionTests
{
    private static DeltaLoRAOptions Options()
    {
        var options = ClassificationOptions("Sentence2");
        options.InferenceBatchSize = 5;
        return options;
    }

    [SharedFact]
    public void Regression_reads_both_texts_and_the_targets_and_outputs_a_single_Score()
    {
        var ml = new MLContext(seed: 1);
        var loader = StsbLoader(ml);
        var model = ml.Regression.Trainers.DeltaLoRA(Options()).Fit(loader.Load(StsbTrain));

        var file = File.ReadLines(StsbTrain).Skip(1).Select(l => l.Split('\t')).ToArray();
        var rows = RowsReadForFit(loader.Load(StsbTrain), Options(), PredictionTask.Regression);
        Assert.Equal(1, rows.OutputCount);
        Assert.Equal(file.Select(r => r[7]), rows.FirstTexts);
        Assert.Equal(file.Select(r => r[8]), rows.SecondTexts!);
        Assert.Equal(file.Select(r => float.Parse(r[9], CultureInfo.InvariantCulture)), rows.Targets!);

        var output = model.GetOutputSchema(loader.GetOutputSchema());
        Assert.Equal(NumberDataViewType.Single, output["Score"].Type);
        Assert.Null(output.GetColumnOrNull("PredictedLabel"));
        Assert.Null(model.PredictedLabelColumnName);
        Assert.Equal(1, model.OutputCount);
    }

    [SharedFact]
    public void Evaluate_gives_the_errors_computed_by_hand_from_the_scores()
    {
        var ml = new MLContext(seed: 1);
        var loader = StsbLoader(ml);
        var model = ml.Regression.Trainers.DeltaLoRA(Options()).Fit(loader.Load(StsbTrain));
        var scored = model.Transform(loader.Load(StsbEval));

        var metrics = ml.Regression.Evaluate(scored);

        var scores = ReadScores(scored).Select(s => (double)s.Single()).ToArray();
        var labels = ReadColumn<float>(scored, "Label").Select(l => (double)l).ToArray();
        Assert.Equal(File.ReadLines(StsbEval).Count() - 1, scores.Length);
        double mse = scores.Zip(labels).Average(x => (x.First - x.Second) * (x.First - x.Second));
        double mae = scores.Zip(labels).Average(x => Math.Abs(x.First - x.Second));
        double mean = labels.Average();
        double rSquared = 1 - scores.Zip(labels).Sum(x => (x.First - x.Second) * (x.First - x.Second)) / labels.Sum(l => (l - mean) * (l - mean));
        Assert.Equal(mse, metrics.MeanSquaredError, 1e-9 * mse);
        Assert.Equal(Math.Sqrt(mse), metrics.RootMeanSquaredError, 1e-9 * Math.Sqrt(mse));
        Assert.Equal(mae, metrics.MeanAbsoluteError, 1e-9 * mae);
        Assert.Equal(rSquared, metrics.RSquared, 1e-6);
        Assert.True(scores.Distinct().Count() > 1, "Each row should get its own score.");
    }

    [SharedFact]
    public void Estimator_output_schema_for_regression_is_a_single_Score()
    {
        var ml = new MLContext(seed: 1);
        var trainer = ml.Regression.Trainers.DeltaLoRA(Options());
        var shape = trainer.GetOutputSchema(ShapeOf(StsbLoader(ml).GetOutputSchema()));
        var score = Assert.Single(shape, c => c.Name == "Score");
        Assert.Equal((SchemaShape.Column.VectorKind.Scalar, (DataViewType)NumberDataViewType.Single, false), (score.Kind, score.ItemType, score.IsKey));
        Assert.DoesNotContain(shape, c => c.Name == "PredictedLabel");
    }
}
