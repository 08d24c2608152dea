using DeltaLoRA.Bench;
using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Metrics;
using DeltaLoRA.Bench.Reporting;
using DeltaLoRA.Bench.Study;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Bench;

/// <summary>
/// The controls report read from folders laid out as run-controls-minilm.sh writes them, through the study's own files (runs.csv,
/// losses.csv), with scores chosen so that every expected difference, interval and p is plain arithmetic or a closed form.
/// </summary>
public class ControlsReportTests
{
    private static RunSpec Spec(StudyMethod method, double lr, int seed) => new(GlueTask.Sst2, method, RunPhase.Final, lr, seed,
        method == StudyMethod.DeltaLoRA ? 0.5 : 0, method == StudyMethod.DeltaLoRA ? 10 : null, 100, 900, 100, 872, "", "minilm");

    /// <summary>A final run with its step-1 loss (by default the same for every run at a seed, as one build draws).</summary>
    private static void Final(string folder, StudyMethod method, double lr, int seed, double accuracy, double? firstLoss = null)
    {
        Directory.CreateDirectory(folder);
        var spec = Spec(method, lr, seed);
        RunLog.Open(Path.Combine(folder, "runs.csv")).Append(new RunRecord(spec, 0.5, new TaskScores(Accuracy: accuracy), 10, 60, 5));
        LossLog.Open(Path.Combine(folder, "losses.csv")).Append(spec, [new LossPoint(1, firstLoss ?? 0.6 + seed / 100.0), new LossPoint(2, 0.5)]);
    }

    /// <summary>The study that chose the rates: r 8 (main) Delta-LoRA 1e-3, LoRA 2e-3; r 16 the same; r 1 both 1e-3.</summary>
    private static string Study(TemporaryDirectory root)
    {
        var study = Path.Combine(root.Path, "study");
        Final(Path.Combine(study, "main"), StudyMethod.DeltaLoRA, 1e-3, 1, 0.5);
        Final(Path.Combine(study, "main"), StudyMethod.LoRA, 2e-3, 1, 0.5);
        Final(Path.Combine(study, "rank", "r16-sst2"), StudyMethod.DeltaLoRA, 1e-3, 1, 0.5);
        Final(Path.Combine(study, "rank", "r16-sst2"), StudyMethod.LoRA, 2e-3, 1, 0.5);
        Final(Path.Combine(study, "rank", "r1-sst2"), StudyMethod.DeltaLoRA, 1e-3, 1, 0.5);
        Final(Path.Combine(study, "rank", "r1-sst2"), StudyMethod.LoRA, 1e-3, 1, 0.5);
        return study;
    }

    private static string Controls(TemporaryDirectory root)
    {
        var controls = Path.Combine(root.Path, "controls");
        var alpha16 = Path.Combine(controls, "alpha16", "r16-sst2");
        Final(alpha16, StudyMethod.DeltaLoRA, 1e-3, 1, 0.85);
        Final(alpha16, StudyMethod.DeltaLoRA, 1e-3, 2, 0.86);
        Final(alpha16, StudyMethod.LoRA, 2e-3, 1, 0.80);
        Final(alpha16, StudyMethod.LoRA, 2e-3, 2, 0.83);
        Final(alpha16, StudyMethod.LoRA, 1e-3, 1, 0.84); // the control at Delta-LoRA's rate; Delta-LoRA at LoRA's rate is not run yet
        var scaled = Path.Combine(controls, "alpha2r", "r16-sst2");
        Final(scaled, StudyMethod.DeltaLoRA, 1e-3, 1, 0.87);
        Final(scaled, StudyMethod.LoRA, 2e-3, 1, 0.82);
        // r 1 with α 2 runs at the main study's rates (LoRA 2e-3), not at what r 1 chose with α 16 (1e-3): this LoRA run is not the arm's.
        var scaledRank1 = Path.Combine(controls, "alpha2r", "r1-sst2");
        Final(scaledRank1, StudyMethod.DeltaLoRA, 1e-3, 1, 0.80);
        Final(scaledRank1, StudyMethod.LoRA, 1e-3, 1, 0.70);
        File.WriteAllText(Path.Combine(controls, "build.txt"), "abc1234 built 2026-12-06\n");
        return controls;
    }

    [Fact]
    public void Each_cell_compares_the_methods_at_the_chosen_rates_and_both_at_each_methods_rate_paired_by_seed()
    {
        using var root = new TemporaryDirectory();
        var markdown = ControlsReport.Render(ControlsReport.Read(Controls(root), Study(root)));

        // Seed by seed 85 − 80 = 5 and 86 − 83 = 3: mean 4, sd √2, standard error 1, t = 4 on 1 degree of freedom, two-sided
        // p = 1 − 2·atan(4)/π = 0.156 (Cauchy), 95% interval 4 ± 12.706 (t-table) = [−8.71, +16.71]; ahead on both seeds, sign p 2/2².
        Assert.Contains("| sst2 | 16 | 16 | as chosen | 1e-3 | 2e-3 | 85.50 ± 0.71 (2) | 81.50 ± 2.12 (2) | 2 | +4.00 [-8.71, +16.71] | t 4.00, p 0.156 | 2/0, p 0.50 |", markdown);
        Assert.Contains("| sst2 | 16 | 16 | both at Delta-LoRA's rate | 1e-3 | 1e-3 | 85.50 ± 0.71 (2) | 84.00 (1) | 1 | +1.00 | — | 1/0, p 1.00 |", markdown);
        Assert.Contains("| sst2 | 16 | 16 | both at LoRA's rate | — | 2e-3 | not run yet | 81.50 ± 2.12 (2) | 0 | not run yet | — | — |", markdown);
        // The α = 2r arm (α 32 at r 16, α 2 at r 1) runs at the main study's rates, given rather than chosen: no same-rate rows.
        Assert.Contains("| sst2 | 32 | 16 | as chosen | 1e-3 | 2e-3 | 87.00 (1) | 82.00 (1) | 1 | +5.00 | — | 1/0, p 1.00 |", markdown);
        Assert.Contains("| sst2 | 2 | 1 | as chosen | 1e-3 | — | 80.00 (1) | not run yet | 0 | not run yet | — | — |", markdown);
        Assert.DoesNotContain("70.00", markdown);
        Assert.Single(markdown.Split('\n'), line => line.StartsWith("| sst2 | 32 |", StringComparison.Ordinal));
        Assert.Contains("Build of every run: abc1234 built 2026-12-06.", markdown);
    }

    [Fact]
    public void The_alpha_2r_arm_is_compared_with_the_alpha_16_arm_per_method_and_rank_each_at_its_own_rates()
    {
        using var root = new TemporaryDirectory();
        var outcome = ControlsReport.Read(Controls(root), Study(root));

        var delta16 = outcome.ArmComparisons.Single(c => c.Rank == 16 && c.Label == "DeltaLoRA");
        Assert.Equal(0.87 - 0.85, delta16.Paired!.MeanDifference, 12); // seed 1 only: the α = 2r arm has no seed 2
        Assert.Equal(1, delta16.Paired.Pairs);
        var lora16 = outcome.ArmComparisons.Single(c => c.Rank == 16 && c.Label == "LoRA");
        Assert.Equal(0.82 - 0.80, lora16.Paired!.MeanDifference, 12);
        Assert.Equal(2e-3, lora16.First!.Rate);

        // r 1: no α 16 runs in this build yet, so nothing is paired; LoRA's only α = 2r run is at a rate that is not the arm's.
        var delta1 = outcome.ArmComparisons.Single(c => c.Rank == 1 && c.Label == "DeltaLoRA");
        Assert.Null(delta1.Paired);
        Assert.Equal("not run yet", delta1.Problem);
        Assert.DoesNotContain(outcome.ArmComparisons, c => c.Rank == 1 && c.Label == "LoRA");
        Assert.Contains("| sst2 | 16 | DeltaLoRA | 1e-3 | 1e-3 | 87.00 (1) | 85.50 ± 0.71 (2) | 1 | +2.00 | — | 1/0, p 1.00 |", ControlsReport.Render(outcome));
    }

    [Fact]
    public void Runs_whose_step_1_losses_differ_at_a_seed_drew_differently_and_are_not_paired()
    {
        using var root = new TemporaryDirectory();
        var controls = Controls(root);
        var rank1 = Path.Combine(controls, "alpha16", "r1-sst2");
        Final(rank1, StudyMethod.DeltaLoRA, 1e-3, 1, 0.80, firstLoss: 0.69);
        Final(rank1, StudyMethod.LoRA, 1e-3, 1, 0.78, firstLoss: 0.70); // another build's draws
        var outcome = ControlsReport.Read(controls, Study(root));

        var chosen = outcome.MethodComparisons.Single(c => c.Rank == 1 && c.First?.Arm == ControlsReport.Alpha16Arm);
        Assert.Null(chosen.Paired);
        Assert.Equal(SharedDraws.DifferentNote, chosen.Problem);
        // The α = 2r arm's r-1 run drew from loss 0.61 (the default at seed 1); the α 16 arm's from 0.69: not paired either.
        Assert.Equal(SharedDraws.DifferentNote, outcome.ArmComparisons.Single(c => c.Rank == 1 && c.Label == "DeltaLoRA").Problem);
    }

    [Fact]
    public void A_study_without_the_rates_of_a_rank_or_a_badly_named_folder_is_refused_naming_it()
    {
        using var root = new TemporaryDirectory();
        var controls = Controls(root);
        var study = Study(root);
        Final(Path.Combine(controls, "alpha16", "r4-sst2"), StudyMethod.DeltaLoRA, 1e-3, 1, 0.8);
        var missing = Assert.Throws<FileNotFoundException>(() => ControlsReport.Read(controls, study));
        Assert.Contains(Path.Combine(study, "rank", "r4-sst2", "runs.csv"), missing.Message);

        Directory.Delete(Path.Combine(controls, "alpha16", "r4-sst2"), recursive: true);
        Directory.CreateDirectory(Path.Combine(controls, "alpha16", "rank4"));
        var badName = Assert.Throws<InvalidDataException>(() => ControlsReport.Read(controls, study));
        Assert.Contains("rank4", badName.Message);
    }

    [Fact]
    public void Write_leaves_the_whole_report_and_no_temporary_file()
    {
        using var root = new TemporaryDirectory();
        var path = Path.Combine(root.Path, "out", "controls.md");
        ControlsReport.Write(ControlsReport.Read(Controls(root), Study(root)), path);
        Assert.StartsWith("# MiniLM controls", File.ReadAllText(path));
        Assert.Equal(["controls.md"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void The_controls_command_writes_the_report_and_refuses_a_missing_folder_with_a_message()
    {
        using var root = new TemporaryDirectory();
        var report = Path.Combine(root.Path, "controls.md");
        var study = Study(root);
        var log = new StringWriter();
        Assert.Equal(0, BenchCommandLine.Invoke(["controls", "--folder", Controls(root), "--study", study, "--out", report], log));
        Assert.Contains("| sst2 | 16 | 16 | as chosen |", File.ReadAllText(report));
        Assert.DoesNotContain("No α = 2r run has finished yet.", File.ReadAllText(report));

        // Before any α = 2r run has finished the second table says so instead of printing an empty one.
        Directory.Delete(Path.Combine(root.Path, "controls", "alpha2r"), recursive: true);
        Assert.Equal(0, BenchCommandLine.Invoke(["controls", "--folder", Path.Combine(root.Path, "controls"), "--study", study, "--out", report], log));
        Assert.Contains("No α = 2r run has finished yet.", File.ReadAllText(report));

        log = new StringWriter();
        var missing = Path.Combine(root.Path, "nowhere");
        Assert.Equal(1, BenchCommandLine.Invoke(["controls", "--folder", missing, "--study", study, "--out", Path.Combine(root.Path, "other.md")], log));
        Assert.Contains($"--folder: '{missing}' does not exist", log.ToString());
        Assert.False(File.Exists(Path.Combine(root.Path, "other.md")));
    }
}
