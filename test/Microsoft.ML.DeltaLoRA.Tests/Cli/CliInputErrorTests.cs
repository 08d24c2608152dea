using DeltaLoRA.Cli;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Cli;

/// <summary>Bad input gives a one-line message naming what is wrong and a non-zero exit code, before any training starts.</summary>
public sealed class CliInputErrorTests : IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static string Sst2Train => SharedData.PathOf("data", "small", "sst2_train_256.tsv");
    private static string Roberta => SharedData.PathOf("fixtures", "hf", "roberta", "RobertaForSequenceClassification");

    private CliRun Train(params string[] args) => CliRun.Of(["train", "--model", Roberta, "--out", _folder.File("m.zip"), .. args]);

    [SharedFact]
    public void A_missing_dataset_file_is_named()
    {
        var missing = _folder.File("nope.tsv");
        Train("--dataset", missing).FailedWith($"--dataset: the file '{missing}' does not exist");
    }

    [SharedFact]
    public void An_unknown_label_column_lists_the_available_columns()
        => Train("--dataset", Sst2Train, "--label-col", "sentiment").FailedWith("--label-col 'sentiment'", "0 'sentence', 1 'label'");

    [SharedFact]
    public void A_label_index_out_of_range_is_reported()
        => Train("--dataset", Sst2Train, "--label-col", "7").FailedWith("--label-col 7", "out of range", "2 column(s)");

    [SharedFact]
    public void A_text_column_taken_for_the_label_is_caught()
        => Train("--dataset", Sst2Train, "--label-col", "sentence", "--text-col", "label")
            .FailedWith("label column 'sentence'", "distinct values in", "looks like a text or ID column", "--label-col");

    [SharedFact]
    public void A_label_column_with_one_class_is_caught()
    {
        var path = _folder.File("one-class.tsv");
        File.WriteAllLines(path, ["sentence\tlabel", .. Enumerable.Range(0, 30).Select(i => $"sentence number {i}\tpositive")]);
        Train("--dataset", path).FailedWith("label column 'label'", "1 distinct value(s) ('positive')", "at least 2 classes");
    }

    [SharedFact]
    public void Regression_on_text_labels_says_the_labels_are_not_numbers()
        => Train("--dataset", SharedData.PathOf("data", "small", "rte_train_128.tsv"), "--text-col", "sentence1", "--text2-col", "sentence2", "--task", "regression")
            .FailedWith("label column 'label'", "has no numbers", "not_entailment");

    [SharedFact]
    public void An_invalid_hyper_parameter_is_reported_by_its_flag()
        => Train("--dataset", Sst2Train, "--rank", "0").FailedWith("--rank: Rank must be at least 1; found 0.");

    [SharedFact]
    public void A_bi_encoder_without_a_second_text_column_is_reported_by_its_flag()
        => Train("--dataset", Sst2Train, "--pair-encoding", "bi").FailedWith("--pair-encoding", "a bi-encoder reads two texts");

    [SharedFact]
    public void A_max_length_beyond_the_model_is_reported()
        => Train("--dataset", Sst2Train, "--max-length", "512").FailedWith("--max-length 512", "at most 64 tokens");

    [SharedFact]
    public void A_model_option_naming_a_file_says_it_is_a_file()
    {
        var zip = _folder.WriteFile("m.zip", "not a model folder");
        CliRun.Of("train", "--dataset", Sst2Train, "--model", zip).FailedWith($"--model '{zip}' is a file; expected a model name", "read by evaluate and predict");
    }

    [SharedFact]
    public void A_test_fraction_that_is_not_a_number_gets_one_line()
    {
        var run = Train("--dataset", Sst2Train, "--test-fraction", "NaN");
        run.FailedWith("--test-fraction must be between 0 and 1 (exclusive); found NaN.");
        Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [SharedFact]
    public void A_missing_model_folder_is_reported()
    {
        var missing = _folder.File("no-model");
        CliRun.Of("train", "--dataset", Sst2Train, "--model", missing).FailedWith($"--model: the folder '{missing}' does not exist");
    }

    [SharedFact] // its --dataset is a shared/ file
    public void A_named_model_not_yet_fetched_says_how_to_fetch_it()
    {
        using var empty = new TemporaryDirectory();
        WithEnvironment("DELTALORA_MODEL_CACHE", empty.Path, () =>
            CliRun.Of("train", "--dataset", Sst2Train, "--model", "arctic-xs").FailedWith("Fetch it with deltalora fetch-model arctic-xs"));
    }

    [Fact]
    public void Without_the_default_model_the_error_says_how_to_fetch_it()
    {
        using var empty = new TemporaryDirectory();
        WithEnvironment("DELTALORA_MODEL_CACHE", empty.Path, () =>
            CliRun.Of("train", "--out", _folder.File("m.zip")).FailedWith("'minilm'", "build/fetch-model.sh minilm", empty.Path));
    }

    [SharedFact]
    public void Without_the_demo_data_set_the_error_says_how_to_fetch_it()
    {
        using var empty = new TemporaryDirectory();
        WithEnvironment("DELTALORA_DATA_CACHE", empty.Path, () =>
            Train().FailedWith("SpamAssassin", "build/fetch-dataset.sh", Path.Combine(empty.Path, "spam-assassin")));
    }

    [Fact]
    public void Evaluate_of_a_file_that_is_not_a_model_is_reported()
    {
        var notAModel = _folder.File("notes.zip");
        File.WriteAllText(notAModel, "not a zip");
        var data = _folder.File("d.tsv");
        File.WriteAllText(data, "sentence\tlabel\nfine\t1\n");
        CliRun.Of("evaluate", "--model", notAModel, "--dataset", data).FailedWith("--model", "not an ML.NET model zip");
        CliRun.Of("evaluate", "--model", _folder.File("absent.zip"), "--dataset", data).FailedWith("does not exist");
    }

    [Fact]
    public void Predict_without_inputs_asks_for_them()
        => CliRun.Of("predict", "--model", _folder.File("m.zip")).FailedWith("Nothing to predict");

    [Fact]
    public void Unknown_options_and_missing_required_options_are_usage_errors()
    {
        var unknown = CliRun.Of("train", "--epoch", "2");
        Assert.Equal(CliApp.UsageError, unknown.ExitCode);
        Assert.Contains("--epoch", unknown.Error);
        Assert.Contains("deltalora train --help", unknown.Error);

        var missing = CliRun.Of("evaluate", "--dataset", "x.tsv");
        Assert.Equal(CliApp.UsageError, missing.ExitCode);
        Assert.Contains("--model", missing.Error);

        var badNumber = CliRun.Of("train", "--epochs", "two");
        Assert.Equal(CliApp.UsageError, badNumber.ExitCode);
        Assert.Contains("two", badNumber.Error);
    }

    [Fact]
    public void Help_lists_the_commands_and_the_train_options()
    {
        var root = CliRun.Of("--help").Succeeded();
        foreach (var command in new[] { "train", "evaluate", "predict" }) Assert.Contains(command, root.Output);
        var train = CliRun.Of("train", "--help").Succeeded();
        foreach (var option in new[] { "--dataset", "--validation-dataset", "--test-dataset", "--label-col", "--text-col", "--text2-col", "--has-header",
                     "--model", "--method", "--rank", "--epochs", "--learning-rate", "--max-length", "--seed", "--out", "--json", "--task" })
            Assert.Contains(option, train.Output);
    }

    private static void WithEnvironment(string name, string value, Action action)
    {
        var previous = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, value);
        try
        {
            action();
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, previous);
        }
    }
}
