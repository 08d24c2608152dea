using System.Buffers.Binary;
using System.Globalization;
using DeltaLoRA.Bench;
using DeltaLoRA.Bench.Study;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Bench;

/// <summary>
/// The study and sensitivity commands end to end on the tiny RoBERTa fixture (fast) with the <c>--quick</c> budget: they write
/// the table, the CSVs and the PNGs, choose learning rates from validation only, and resume without redoing runs.
/// Accuracy is not asserted: the fixture is a random-weight model.
/// </summary>
public class StudySmokeTests
{
    private static string RobertaFolder => HuggingFaceFixtures.ModelFolder("roberta", "RobertaForSequenceClassification");
    private static string GlueRoot => SharedData.PathOf("data", "glue");
    private static readonly string[] Tasks = ["sst2", "mrpc", "cola", "rte", "stsb"];

    private static string[] QuickArgs(string command, string output, params string[] more) =>
        [command, "--quick", "--model", RobertaFolder, "--max-length", "64", "--data", GlueRoot, "--out", output, .. more];

    [SharedFact]
    public void Quick_study_writes_the_table_every_run_plots_and_resumes()
    {
        using var folder = new TemporaryDirectory();
        var log = new StringWriter();
        Assert.Equal(0, BenchCommandLine.Invoke(QuickArgs("study", folder.Path), log));

        var quick = StudySettings.Quick("unused", "unused", null);
        Assert.Equal(2, quick.SeedCount);
        Assert.All(quick.LearningRates.Values, grid => Assert.Equal(2, grid.Length));
        int steps = quick.Steps!.Value;

        // runs.csv: 5 tasks × (3 fine-tuning methods × (2 selection + 2 final runs) + 2 frozen runs)
        var runsPath = Path.Combine(folder.Path, "runs.csv");
        var lines = File.ReadAllLines(runsPath);
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(line => header.Zip(line.Split(',')).ToDictionary(p => p.First, p => p.Second)).ToArray();
        Assert.Equal(5 * (3 * 4 + 2), rows.Length);
        Assert.Equal(Tasks, rows.Select(r => r["task"]).Distinct());
        Assert.Equal(["DeltaLoRA", "LoRA", "Full", "Frozen"], rows.Select(r => r["method"]).Distinct());
        Assert.All(rows.Where(r => r["phase"] == "final"), r => Assert.Contains(r["seed"], new[] { "1", "2" }));
        Assert.All(rows.Where(r => r["method"] != "Frozen"), r => Assert.Equal(steps.ToString(CultureInfo.InvariantCulture), r["steps"]));
        Assert.All(rows, r => Assert.True(double.Parse(r["train_seconds"], CultureInfo.InvariantCulture) > 0));
        AssertMetricColumns(rows);
        AssertLearningRatesChosenOnValidation(rows);

        // losses.csv: every step of every fine-tuning run
        var lossRows = File.ReadAllLines(Path.Combine(folder.Path, "losses.csv")).Skip(1).ToArray();
        Assert.Equal(5 * 3 * 4 * steps, lossRows.Length);
        Assert.All(lossRows, line => Assert.True(double.IsFinite(double.Parse(line.Split(',')[^1], CultureInfo.InvariantCulture))));

        var markdown = File.ReadAllText(Path.Combine(folder.Path, "results.md"));
        Assert.Contains("SMOKE RUN", markdown);
        Assert.Contains("| Task | Score | DeltaLoRA | LoRA | Full | Frozen |", markdown);
        foreach (var task in Tasks) Assert.Contains($"\n| {task} | ", markdown);
        Assert.Contains(" ± ", markdown);

        foreach (var task in Tasks)
        {
            AssertPng(Path.Combine(folder.Path, "plots", $"loss-{task}.png"));
            AssertPng(Path.Combine(folder.Path, "plots", $"scores-{task}.png"));
        }

        // A second invocation finds every run in runs.csv and makes none.
        var again = new StringWriter();
        Assert.Equal(0, BenchCommandLine.Invoke(QuickArgs("study", folder.Path), again));
        Assert.Equal(lines, File.ReadAllLines(runsPath));
        Assert.DoesNotContain("starting", again.ToString());
        Assert.Contains("skipped", again.ToString());
    }

    /// <summary>
    /// --threads is libtorch's count for the command only: the tests run commands in their own process, and the fresh-process
    /// tests compare scores bit for bit, which holds at one count only, so the library's default must stay a fresh process's.
    /// </summary>
    [SharedFact]
    public void A_command_leaves_libtorchs_count_and_the_librarys_default_thread_count_as_a_fresh_process_has_them()
    {
        int before = TorchSharp.torch.get_num_threads();
        using var folder = new TemporaryDirectory();

        Assert.Equal(0, BenchCommandLine.Invoke(QuickArgs("study", folder.Path, "--tasks", "sst2", "--methods", "LoRA", "--threads", "1"), new StringWriter()));

        Assert.Equal(before, TorchSharp.torch.get_num_threads());
        Assert.Equal(ModelLoadCheckProcess.DefaultThreadCount(), TorchThreads.DefaultCount);
    }

    [SharedFact]
    public void Sensitivity_runs_each_lambda_and_K_once_per_seed_and_lambda_zero_once()
    {
        using var folder = new TemporaryDirectory();
        var log = new StringWriter();
        Assert.Equal(0, BenchCommandLine.Invoke(
            QuickArgs("sensitivity", folder.Path, "--task", "rte", "--lambdas", "0,0.5", "--k-multiples", "0", "1", "--seeds", "1"), log));

        var rows = File.ReadAllLines(Path.Combine(folder.Path, "runs.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        // 2 selection runs (the DeltaLoRA grid), then λ 0 (one run for every K) and λ 0.5 at K = 0 and K = warmup (⌈0.06 × steps⌉ = 1).
        Assert.Equal(2, rows.Count(r => r[2] == RunPhase.Select));
        var sensitivity = rows.Where(r => r[2] == RunPhase.Sensitivity).Select(r => (Lambda: r[5], K: r[6])).ToArray();
        Assert.Equal([("0", "1"), ("0.5", "0"), ("0.5", "1")], sensitivity.Order());

        var markdown = File.ReadAllText(Path.Combine(folder.Path, "sensitivity-rte.md"));
        Assert.Contains("| 0 | ", markdown);
        Assert.Contains("| 0.5 | ", markdown);
        Assert.Contains("K = warmup (1)", markdown);
        AssertPng(Path.Combine(folder.Path, "plots", "sensitivity-rte.png"));
    }

    [Fact]
    public void Bad_options_fail_with_a_message_and_exit_code_one()
    {
        using var folder = new TemporaryDirectory();
        var log = new StringWriter();
        Assert.Equal(1, BenchCommandLine.Invoke(["study", "--tasks", "mnli", "--data", folder.Path, "--out", folder.Path], log));
        Assert.Contains("Unknown GLUE task 'mnli'", log.ToString());

        log = new StringWriter();
        Assert.Equal(1, BenchCommandLine.Invoke(["study", "--steps", "5", "--epochs", "2", "--data", folder.Path, "--out", folder.Path], log));
        Assert.Contains("--steps or --epochs", log.ToString());

        log = new StringWriter();
        Assert.Equal(1, BenchCommandLine.Invoke(["study", "--data", Path.Combine(folder.Path, "missing"), "--out", folder.Path], log));
        Assert.Contains("does not exist", log.ToString());
    }

    [Fact]
    public void Learning_rate_grids_replace_a_methods_grid()
    {
        var grids = BenchCommandLine.ParseGrids(["DeltaLoRA=1e-3,2e-3", "full=1e-4"], StudySettings.DefaultLearningRates);
        Assert.Equal([1e-3, 2e-3], grids[StudyMethod.DeltaLoRA]);
        Assert.Equal([1e-4], grids[StudyMethod.Full]);
        Assert.Equal(StudySettings.DefaultLearningRates[StudyMethod.LoRA], grids[StudyMethod.LoRA]);
        Assert.Throws<ArgumentOutOfRangeException>(() => BenchCommandLine.ParseGrids(["Frozen=1e-3"], StudySettings.DefaultLearningRates));
        Assert.Throws<ArgumentOutOfRangeException>(() => BenchCommandLine.ParseGrids(["DeltaLoRA"], StudySettings.DefaultLearningRates));
        Assert.Throws<ArgumentOutOfRangeException>(() => BenchCommandLine.ParseGrids(["LoRA=fast"], StudySettings.DefaultLearningRates));
    }

    private static void AssertMetricColumns(IEnumerable<Dictionary<string, string>> rows)
    {
        var expected = new Dictionary<string, string[]>
        {
            ["sst2"] = ["accuracy"], ["rte"] = ["accuracy"], ["mrpc"] = ["accuracy", "f1"], ["cola"] = ["mcc"], ["stsb"] = ["pearson", "spearman"],
        };
        string[] metrics = ["accuracy", "f1", "mcc", "pearson", "spearman"];
        foreach (var row in rows)
        {
            // Learning-rate selection never scores dev.
            bool scoredOnDev = row["phase"] != RunPhase.Select;
            Assert.Equal(scoredOnDev, row["dev_score"].Length > 0);
            foreach (var metric in metrics)
            {
                bool reported = scoredOnDev && expected[row["task"]].Contains(metric);
                Assert.Equal(reported, row[metric].Length > 0);
                if (!reported || row[metric] == "NaN") continue; // a constant STS-B prediction has no correlation
                Assert.InRange(double.Parse(row[metric], CultureInfo.InvariantCulture), metric is "accuracy" or "f1" ? 0 : -1, 1);
            }
        }
    }

    /// <summary>The final runs use the grid value whose selection run scored best on validation (ties: the first).</summary>
    private static void AssertLearningRatesChosenOnValidation(IReadOnlyList<Dictionary<string, string>> rows)
    {
        foreach (var group in rows.Where(r => r["phase"] == RunPhase.Select).GroupBy(r => (Task: r["task"], Method: r["method"])))
        {
            var best = group.Select(r => (Lr: r["lr"], Score: double.Parse(r["val_score"], CultureInfo.InvariantCulture)))
                .Where(c => !double.IsNaN(c.Score))
                .DefaultIfEmpty((Lr: group.First()["lr"], Score: double.NaN))
                .Aggregate((a, b) => b.Score > a.Score ? b : a);
            var finalRates = rows.Where(r => r["task"] == group.Key.Task && r["method"] == group.Key.Method && r["phase"] == RunPhase.Final)
                .Select(r => r["lr"]).Distinct();
            Assert.Equal([best.Lr], finalRates);
        }
    }

    private static void AssertPng(string path)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(900, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(540, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        Assert.True(bytes.Length > 5000, $"{path} is only {bytes.Length} bytes");
    }
}
