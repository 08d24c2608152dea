using System.Globalization;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;

namespace Microsoft.ML.DeltaLoRA.Tests.Samples;

/// <summary>samples/Regression on the tiny DistilBERT classifier (a fresh one-output head) and the small STS-B subset, seconds.</summary>
public class RegressionSampleTests
{
    [SharedFact]
    public void It_fits_a_similarity_regressor_whose_saved_model_gives_the_metrics_it_printed()
    {
        var train = SampleRun.SmallData("stsb_train_128.tsv");
        var test = SampleRun.SmallData("stsb_eval_64.tsv");
        using var run = SampleRun.OnTinyModel("Regression", "distilbert/DistilBertForSequenceClassification", train, test, "--max-rows", "32", "--output", "similarity.zip");

        // The saved zip's predictions for every test pair, against the scores read from the file (column 9, 0 to 5).
        var testRows = SampleRun.ReadRows(test);
        var ml = new MLContext(seed: 5);
        var model = ml.Model.Load(run.PathOf("similarity.zip"), out _);
        var input = ml.Data.LoadFromEnumerable(testRows.Select(r => new PairRow { Sentence1 = r[7], Sentence2 = r[8], Label = float.Parse(r[9], CultureInfo.InvariantCulture) }));
        var predicted = ml.Data.CreateEnumerable<ScoreRow>(model.Transform(input), reuseRowObject: false).Select(p => (double)p.Score).ToArray();
        var truth = testRows.Select(r => double.Parse(r[9], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(truth.Length, predicted.Length);
        Assert.All(predicted, score => Assert.True(double.IsFinite(score), $"score {score}"));

        // The textbook formulas, computed here, against what the sample printed from ML.NET's evaluator and its own Pearson.
        var errors = predicted.Zip(truth, (p, t) => p - t).ToArray();
        double meanTruth = truth.Average(), meanPredicted = predicted.Average();
        double residualSquares = errors.Sum(e => e * e), totalSquares = truth.Sum(t => (t - meanTruth) * (t - meanTruth));
        double covariance = predicted.Zip(truth, (p, t) => (p - meanPredicted) * (t - meanTruth)).Sum();
        double pearson = covariance / Math.Sqrt(predicted.Sum(p => (p - meanPredicted) * (p - meanPredicted)) * totalSquares);
        Assert.Equal(Math.Sqrt(residualSquares / truth.Length), run.Number("Test RMSE"), SampleRun.FourDecimals);
        Assert.Equal(errors.Average(Math.Abs), run.Number("Test MAE"), SampleRun.FourDecimals);
        Assert.Equal(1 - residualSquares / totalSquares, run.Number("Test R squared"), SampleRun.FourDecimals);
        Assert.Equal(pearson, run.Number("Test Pearson correlation"), SampleRun.FourDecimals);

        // The five pairs it shows are the first five of the test file, with their true scores.
        var shown = run.Matches(@"^predicted (\S+), true (\S+)$");
        Assert.Equal(truth.Take(5).Select(t => t.ToString("0.00", CultureInfo.CurrentCulture)), shown.Select(m => m.Groups[2].Value));
        Assert.Equal(predicted.Take(5).Select(p => p.ToString("0.00", CultureInfo.CurrentCulture)), shown.Select(m => m.Groups[1].Value));
    }

    private sealed class PairRow
    {
        public string Sentence1 { get; set; } = "";
        public string Sentence2 { get; set; } = "";
        public float Label { get; set; }
    }

    private sealed class ScoreRow
    {
        public float Score { get; set; }
    }
}
