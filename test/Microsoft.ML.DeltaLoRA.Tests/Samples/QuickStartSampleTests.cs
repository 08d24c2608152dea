using System.Globalization;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;

namespace Microsoft.ML.DeltaLoRA.Tests.Samples;

/// <summary>samples/QuickStart on the tiny BERT classifier and the small SST-2 subset: one epoch on 32 rows, seconds.</summary>
public class QuickStartSampleTests
{
    [SharedFact]
    public void It_fits_evaluates_and_saves_a_model_that_reloads_to_the_accuracy_it_printed()
    {
        var train = SampleRun.SmallData("sst2_train_256.tsv");
        var test = SampleRun.SmallData("sst2_eval_128.tsv");
        using var run = SampleRun.OnTinyModel("QuickStart", "bert/BertForSequenceClassification", train, test, "--max-rows", "32", "--output", "model.zip");

        double printedAccuracy = run.Number("Test accuracy");
        Assert.InRange(printedAccuracy, 0, 1);
        double logLoss = run.Number("Test log-loss");
        Assert.True(logLoss > 0 && double.IsFinite(logLoss), $"log-loss {logLoss}");

        // The saved zip, loaded here as another app would, predicts a label of the data's label set for every test row, and
        // counting its right answers by hand gives the accuracy the sample printed from ML.NET's evaluator.
        var labelSet = SampleRun.ReadRows(train).Select(r => r[1]).ToHashSet();
        new MLContext().Model.Load(run.PathOf("model.zip"), out var inputSchema);
        Assert.Equal(["Label", "Text"], inputSchema.Select(c => c.Name).Order());
        var testRows = SampleRun.ReadRows(test);
        var predicted = run.PredictLabels("model.zip", testRows.Select(r => new TextRow { Text = r[0], Label = r[1] }));
        Assert.Equal(testRows.Length, predicted.Length);
        Assert.All(predicted, label => Assert.Contains(label, labelSet));
        Assert.Equal(SampleRun.Accuracy(predicted, testRows.Select(r => r[1])), printedAccuracy, SampleRun.FourDecimals);

        // The two single-text predictions: a label of the set, with the larger of two probabilities (at least one half).
        var predictions = run.Matches(@"^Prediction: '.+' -> (\S+) \(probability (\S+)\)$");
        Assert.Equal(2, predictions.Length);
        Assert.All(predictions, m => Assert.Contains(m.Groups[1].Value, labelSet));
        Assert.All(predictions, m => Assert.InRange(double.Parse(m.Groups[2].Value, CultureInfo.CurrentCulture), 0.5, 1));
    }

    private sealed class TextRow
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }
}
