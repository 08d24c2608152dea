using System.Globalization;
using System.Text;
using DeltaLoRA.Cli;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Cli;

/// <summary><c>deltalora sweep</c> on the tiny RoBERTa fixture and SST-2's small subsets.</summary>
public class CliSweepTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static string[] SweepArgs(string output, params string[] more) =>
    [
        "sweep", "--dataset", CliTrainingFixture.Sst2Train, "--test-dataset", CliTrainingFixture.Sst2Eval,
        "--model", CliTrainingFixture.RobertaFolder, "--max-length", "64", "--out", output, .. more,
    ];

    [SharedFact]
    public void Sweep_writes_the_best_model_that_evaluate_reads_a_trials_csv_a_plot_and_a_json_line()
    {
        using var folder = new TemporaryDirectory();
        var model = folder.File("best.zip");
        var run = CliRun.Of(SweepArgs(model, "--max-trials", "3", "--json")).Succeeded();

        var json = run.Json;
        Assert.Equal("sweep", json.GetProperty("command").GetString());
        Assert.Equal(3, json.GetProperty("trials").GetInt32());
        var best = json.GetProperty("best");
        var csv = File.ReadAllLines(folder.File("best.trials.csv"));
        Assert.Equal(4, csv.Length);
        var bestRow = csv[best.GetProperty("trial").GetInt32()].Split(',');
        Assert.Equal(best.GetProperty("method").GetString(), bestRow[4]);
        Assert.Equal(best.GetProperty("learning_rate").GetDouble(), double.Parse(bestRow[5], CultureInfo.InvariantCulture));
        Assert.Equal(best.GetProperty("validation_metric").GetDouble(), double.Parse(bestRow[12], CultureInfo.InvariantCulture));
        Assert.Equal(PngSignature, File.ReadAllBytes(folder.File("best.trials.png")).Take(8));

        var evaluated = CliRun.Of("evaluate", "--model", model, "--dataset", CliTrainingFixture.Sst2Eval, "--json").Succeeded().Json;
        Assert.Equal(json.GetProperty("metrics").GetProperty("micro_accuracy").GetDouble(), evaluated.GetProperty("metrics").GetProperty("micro_accuracy").GetDouble(), 12);
        Assert.Equal(json.GetProperty("metrics").GetProperty("log_loss").GetDouble(), evaluated.GetProperty("metrics").GetProperty("log_loss").GetDouble(), 12);
    }

    [SharedFact]
    public void Cancellation_during_the_sweep_leaves_no_file_behind()
    {
        using var folder = new TemporaryDirectory();
        using var cancellation = new CancellationTokenSource();
        // Cancel once trial 2 starts: trial 1 completed, so there is a best model that must not be written.
        var output = new CancelOnText("trial 2:", cancellation);
        var error = new StringWriter();
        int exitCode = CliApp.Run(SweepArgs(folder.File("best.zip"), "--max-trials", "5"),
            new CliTerminal(output, error, Interactive: false) { Cancellation = cancellation.Token });

        Assert.True(exitCode == CliApp.Canceled, $"exit code {exitCode}; standard error:\n{error}\nstandard output:\n{output}");
        Assert.Contains("trial 1 accuracy", output.ToString());
        Assert.Contains("canceled: no output was written", error.ToString());
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder.Path));
    }

    [Fact]
    public void A_sweep_without_a_budget_stops_before_reading_anything()
        => CliRun.Of("sweep", "--dataset", "missing.tsv").FailedWith("--max-seconds", "--max-trials");

    /// <summary>Captures the output and cancels when <paramref name="marker"/> has been written.</summary>
    private sealed class CancelOnText(string marker, CancellationTokenSource cancellation) : StringWriter
    {
        private readonly StringBuilder _text = new();

        public override void Write(char value)
        {
            base.Write(value);
            Check(value.ToString());
        }

        public override void Write(string? value)
        {
            base.Write(value);
            Check(value);
        }

        public override void Write(char[] buffer, int index, int count)
        {
            base.Write(buffer, index, count);
            Check(new string(buffer, index, count));
        }

        private void Check(string? written)
        {
            _text.Append(written);
            if (_text.ToString().Contains(marker, StringComparison.Ordinal)) cancellation.Cancel();
        }
    }
}
