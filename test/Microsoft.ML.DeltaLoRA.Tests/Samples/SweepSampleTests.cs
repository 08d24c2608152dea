using System.Globalization;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;

namespace Microsoft.ML.DeltaLoRA.Tests.Samples;

/// <summary>samples/Sweep on the tiny BERT classifier and the small SST-2 subset: three one-epoch trials on 48 rows, seconds.</summary>
public class SweepSampleTests
{
    [SharedFact]
    public void It_reports_every_trial_picks_the_best_and_saves_a_model_that_gives_the_test_accuracy_it_printed()
    {
        var train = SampleRun.SmallData("sst2_train_256.tsv");
        var test = SampleRun.SmallData("sst2_eval_128.tsv");
        using var run = SampleRun.OnTinyModel("Sweep", "bert/BertForSequenceClassification", train, test, "--max-rows", "48", "--trials", "3", "--output", "best.zip");

        // Three trials, numbered in order, each trained for at least one step and scored on the held-out rows.
        var trials = run.Matches(@"^Trial (\d+): rung (\d+), (\d+) optimizer step\(s\), (.+) -> accuracy (\S+) \(");
        Assert.Equal(["1", "2", "3"], trials.Select(t => t.Groups[1].Value));
        Assert.All(trials, t => Assert.True(int.Parse(t.Groups[3].Value, CultureInfo.InvariantCulture) >= 1, t.Value));
        var accuracies = trials.Select(t => double.Parse(t.Groups[5].Value, CultureInfo.CurrentCulture)).ToArray();
        Assert.All(accuracies, a => Assert.InRange(a, 0, 1));

        // The best is one of them with the highest validation accuracy (three trials are all at the first rung).
        Assert.All(trials, t => Assert.Equal("0", t.Groups[2].Value));
        var best = Assert.Single(run.Matches(@"^Best: trial (\d+), (.+), validation accuracy (\S+), of (\d+) trials"));
        int bestNumber = int.Parse(best.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(trials[bestNumber - 1].Groups[4].Value, best.Groups[2].Value);
        Assert.Equal(accuracies.Max(), double.Parse(best.Groups[3].Value, CultureInfo.CurrentCulture));
        Assert.Equal("3", best.Groups[4].Value);

        // The saved best model: labels of the data's set, and the test accuracy the sample printed.
        var labelSet = SampleRun.ReadRows(train).Select(r => r[1]).ToHashSet();
        var testRows = SampleRun.ReadRows(test);
        var predicted = run.PredictLabels("best.zip", testRows.Select(r => new TextRow { Text = r[0], Label = r[1] }));
        Assert.Equal(testRows.Length, predicted.Length);
        Assert.All(predicted, label => Assert.Contains(label, labelSet));
        Assert.Equal(SampleRun.Accuracy(predicted, testRows.Select(r => r[1])), run.Number("Test accuracy of the best model"), SampleRun.FourDecimals);
    }

    private sealed class TextRow
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }
}
