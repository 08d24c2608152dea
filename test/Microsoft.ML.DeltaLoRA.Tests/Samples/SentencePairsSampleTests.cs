using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;

namespace Microsoft.ML.DeltaLoRA.Tests.Samples;

/// <summary>samples/SentencePairs on the tiny RoBERTa classifier and the small MRPC subset: one epoch on 32 pairs, seconds.</summary>
public class SentencePairsSampleTests
{
    [SharedFact]
    public void It_fits_a_pair_classifier_whose_saved_model_gives_the_accuracy_and_F1_it_printed()
    {
        var train = SampleRun.SmallData("mrpc_train_128.tsv");
        var test = SampleRun.SmallData("mrpc_eval_64.tsv");
        using var run = SampleRun.OnTinyModel("SentencePairs", "roberta/RobertaForSequenceClassification", train, test, "--max-rows", "32", "--output", "pairs.zip");

        // Predictions of the saved zip for every test pair, against the labels read from the file (column 0, "0" or "1").
        var testRows = SampleRun.ReadRows(test);
        var predicted = run.PredictLabels("pairs.zip", testRows.Select(r => new PairRow { Label = r[0], Sentence1 = r[3], Sentence2 = r[4] }));
        var truth = testRows.Select(r => r[0]).ToArray();
        Assert.All(predicted, label => Assert.Contains(label, new[] { "0", "1" }));

        int truePositives = predicted.Zip(truth).Count(pair => pair is ("1", "1"));
        int predictedPositives = predicted.Count(p => p == "1"), positives = truth.Count(t => t == "1");
        double f1 = truePositives == 0 ? 0 : 2.0 * truePositives / (predictedPositives + positives);
        Assert.Equal(SampleRun.Accuracy(predicted, truth), run.Number("Test accuracy"), SampleRun.FourDecimals);
        Assert.Equal(f1, run.Number("Test F1 of class 1"), SampleRun.FourDecimals);

        // The five pairs it shows are the first five of the test file, each with the model's answer and the true label.
        var shown = run.Matches(@"^predicted (\S+), true (\S+)$");
        Assert.Equal(truth.Take(5), shown.Select(m => m.Groups[2].Value));
        Assert.Equal(predicted.Take(5), shown.Select(m => m.Groups[1].Value));
    }

    private sealed class PairRow
    {
        public string Label { get; set; } = "";
        public string Sentence1 { get; set; } = "";
        public string Sentence2 { get; set; } = "";
    }
}
