using System.Globalization;
using DeltaLoRA.Bench;
using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Reporting;
using DeltaLoRA.Bench.Study;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Bench;

/// <summary>
/// <c>calibrate</c> end to end on the tiny BERT fixture (random weights: scores are not asserted): early stopping stops
/// <c>patience</c> epochs after the best validation epoch and keeps that epoch's weights, calibration.csv resumes (finished runs
/// skipped, a run missing from the file made again with the same result), and the rates come from a study's final runs.
/// </summary>
public class CalibrationTests
{
    private static string BertFolder => HuggingFaceFixtures.ModelFolder("bert", "BertForSequenceClassification");
    private static string GlueRoot => SharedData.PathOf("data", "glue");

    private static string[] SmokeArgs(string output, params string[] more) =>
    [
        "calibrate", "--quick", "--model", BertFolder, "--data", GlueRoot, "--out", output, "--tasks", "sst2,stsb", "--train-size", "64",
        "--epochs", "4", "--patience", "1", "--lr-grid", "DeltaLoRA=1e-2", "--lr-grid", "LoRA=1e-2", "--lr-grid", "Full=1e-3", .. more,
    ];

    [Theory]
    [InlineData(new[] { 0.5, 0.7, 0.7, 0.6 }, true, 2)] // ties keep the earlier epoch, as the trainer's strict improvement does
    [InlineData(new[] { 0.9, 0.8, 0.85 }, true, 1)]
    [InlineData(new[] { 1.0, 0.8, 0.9, 0.8 }, false, 2)] // mean squared error: lower is better
    [InlineData(new double[0], true, 0)]
    public void Best_epoch_is_the_first_best_validation_metric(double[] byEpoch, bool higherIsBetter, int expected)
        => Assert.Equal(expected, CalibrationRecord.BestEpochOf(byEpoch, higherIsBetter));

    [SharedFact]
    public void Calibrate_stops_early_keeps_the_best_epoch_and_resumes()
    {
        using var folder = new TemporaryDirectory();
        var log = new StringWriter();
        Assert.Equal(0, BenchCommandLine.Invoke(SmokeArgs(folder.Path, "--commit", "abc1234"), log));

        var csv = Path.Combine(folder.Path, CalibrationLog.FileName);
        var lines = File.ReadAllLines(csv);
        var header = lines[0].Split(',');
        Assert.Equal(CalibrationLog.Header, header);
        var rows = lines.Skip(1).Select(line => header.Zip(line.Split(',')).ToDictionary(p => p.First, p => p.Second)).ToArray();
        Assert.Equal([("sst2", "DeltaLoRA"), ("sst2", "LoRA"), ("sst2", "Full"), ("stsb", "DeltaLoRA"), ("stsb", "LoRA"), ("stsb", "Full")],
            rows.Select(r => (r["task"], r["method"])));
        foreach (var row in rows)
        {
            var byEpoch = row["val_by_epoch"].Split(';').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            bool accuracy = row["task"] == "sst2";
            Assert.Equal(accuracy ? "accuracy" : "mse", row["val_metric"]);
            // The first best epoch, found here independently of the bench.
            double best = accuracy ? byEpoch.Max() : byEpoch.Min();
            int bestEpoch = Array.IndexOf(byEpoch, best) + 1;
            Assert.Equal(bestEpoch.ToString(CultureInfo.InvariantCulture), row["best_epoch"]);
            Assert.Equal(byEpoch.Length.ToString(CultureInfo.InvariantCulture), row["epochs_run"]);
            // Patience 1: training stops one epoch after the best, unless the 4-epoch budget ends first.
            Assert.Equal(Math.Min(4, bestEpoch + 1), byEpoch.Length);
            // SST-2's task score is accuracy: the kept weights, scored by the bench on validation, score what the trainer saw at the best epoch.
            if (accuracy) Assert.Equal(best, double.Parse(row["val_score"], CultureInfo.InvariantCulture), 9);
            Assert.Equal("abc1234", row["commit"]);
            Assert.Equal("64", (int.Parse(row["train_rows"], CultureInfo.InvariantCulture) + int.Parse(row["val_rows"], CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture));
            Assert.True(double.Parse(row["cpu_seconds"], CultureInfo.InvariantCulture) > 0);
        }
        var summary = File.ReadAllText(Path.Combine(folder.Path, CalibrationRunner.SummaryFileName));
        Assert.Contains("| sst2 | DeltaLoRA | 0.01 | 1 | ", summary);
        Assert.Contains("91.5 (accuracy)", summary);

        // A second start skips every finished run.
        var again = new StringWriter();
        Assert.Equal(0, BenchCommandLine.Invoke(SmokeArgs(folder.Path, "--commit", "abc1234"), again));
        Assert.Equal(lines, File.ReadAllLines(csv));
        Assert.Equal(6, again.ToString().Split('\n').Count(l => l.Contains("skipped", StringComparison.Ordinal)));

        // A run killed before its line was written is made again from its start, with the same result (same seed, CPU).
        File.WriteAllLines(csv, lines[..^1]);
        var resumed = new StringWriter();
        Assert.Equal(0, BenchCommandLine.Invoke(SmokeArgs(folder.Path, "--commit", "abc1234"), resumed));
        var redone = File.ReadAllLines(csv);
        Assert.Equal(lines.Length, redone.Length);
        int[] sameResult = [0, 1, 2, 6, 7, 9, 10, 11, 15, 16];
        var before = lines[^1].Split(',');
        var after = redone[^1].Split(',');
        Assert.Equal(sameResult.Select(i => before[i]), sameResult.Select(i => after[i]));
        Assert.Equal(5, resumed.ToString().Split('\n').Count(l => l.Contains("skipped", StringComparison.Ordinal)));

        // A rerun of one method at another rate is a run of its own, and a line of its own in the summary (not a second seed).
        Assert.Equal(0, BenchCommandLine.Invoke(SmokeArgs(folder.Path, "--commit", "abc1234", "--methods", "LoRA", "--lr-grid", "LoRA=5e-3"), new StringWriter()));
        Assert.Equal(lines.Length + 2, File.ReadAllLines(csv).Length);
        summary = File.ReadAllText(Path.Combine(folder.Path, CalibrationRunner.SummaryFileName));
        Assert.Contains("| sst2 | LoRA | 0.005 | 1 | ", summary);
        Assert.Contains("| sst2 | LoRA | 0.01 | 1 | ", summary);
    }

    [Fact]
    public void Bad_calibration_options_fail_with_a_message()
    {
        using var folder = new TemporaryDirectory();
        var log = new StringWriter();
        Assert.Equal(1, BenchCommandLine.Invoke(["calibrate", "--steps", "10", "--data", folder.Path, "--out", folder.Path], log));
        Assert.Contains("--steps does not apply", log.ToString());

        log = new StringWriter();
        Assert.Equal(1, BenchCommandLine.Invoke(["calibrate", "--lr-grid", "LoRA=1e-3,2e-3", "--data", folder.Path, "--out", folder.Path], log));
        Assert.Contains("one learning rate per method", log.ToString());

        log = new StringWriter();
        Assert.Equal(1, BenchCommandLine.Invoke(["calibrate", "--methods", "LoRA", "--data", folder.Path, "--out", folder.Path], log));
        Assert.Contains("No learning rate for LoRA", log.ToString());
    }

    [Fact]
    public void Rates_are_those_of_a_studys_final_runs_on_the_same_model()
    {
        using var folder = new TemporaryDirectory();
        var runs = Path.Combine(folder.Path, "runs.csv");
        const string model = "/models/minilm";
        string Row(string task, string method, string phase, string lr, string seed, string on = model) =>
            Csv.Line([task, method, phase, lr, seed, "", "", "100", "6", "90", "10", "50", "0.8", phase == "select" ? "" : "0.8", phase == "select" ? "" : "0.8",
                "", "", "", "", "1", "1", "", on]);
        File.WriteAllLines(runs,
        [
            Csv.Line(RunLog.Header),
            Row("sst2", "DeltaLoRA", "select", "0.002", "1000"), Row("sst2", "DeltaLoRA", "final", "0.001", "1"), Row("sst2", "DeltaLoRA", "final", "0.001", "2"),
            Row("sst2", "LoRA", "final", "0.002", "1"), Row("rte", "LoRA", "final", "0.0005", "1", on: "/models/other"),
        ]);

        var rates = ChosenRates.Read(runs, model);
        Assert.Equal(0.001, rates.For(GlueTask.Sst2, StudyMethod.DeltaLoRA));
        Assert.Equal(0.002, rates.For(GlueTask.Sst2, StudyMethod.LoRA));
        Assert.Null(rates.For(GlueTask.Sst2, StudyMethod.Full));
        Assert.Null(rates.For(GlueTask.Rte, StudyMethod.LoRA)); // another model's choice is not this one's
        Assert.Throws<InvalidDataException>(() => ChosenRates.Read(runs, "/models/none"));

        File.AppendAllLines(runs, [Row("sst2", "LoRA", "final", "0.005", "2")]);
        var ambiguous = Assert.Throws<InvalidDataException>(() => ChosenRates.Read(runs, model));
        Assert.Contains("--lr-grid LoRA=RATE", ambiguous.Message);
    }
}
