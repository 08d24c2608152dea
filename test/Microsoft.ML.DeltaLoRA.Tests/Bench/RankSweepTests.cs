using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Metrics;
using DeltaLoRA.Bench.Reporting;
using DeltaLoRA.Bench.Study;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Bench;

/// <summary>
/// The rank-sweep report read from a study folder written through the study's own files (runs.csv, losses.csv), with scores
/// chosen so that the expected means, sample sds and late losses are plain arithmetic.
/// </summary>
public class RankSweepTests
{
    private static RunSpec Spec(StudyMethod method, string phase, double? lr, int seed) => new(GlueTask.Sst2, method, phase, lr, seed,
        method == StudyMethod.DeltaLoRA ? 0.5 : method == StudyMethod.LoRA ? 0 : null, method == StudyMethod.DeltaLoRA ? 10 : null, 100, 900, 100, 872, "", "minilm");

    private static void Final(string folder, StudyMethod method, double? lr, int seed, double accuracy, double lossLevel = double.NaN)
    {
        var spec = Spec(method, RunPhase.Final, lr, seed);
        RunLog.Open(Path.Combine(folder, "runs.csv")).Append(new RunRecord(spec, 0.5, new TaskScores(Accuracy: accuracy), 10, 60, 5));
        // 100 steps: loss 1 for the first 90, then lossLevel for the last 10 (the late 10%).
        if (!double.IsNaN(lossLevel))
            LossLog.Open(Path.Combine(folder, "losses.csv")).Append(spec, Enumerable.Range(1, 100).Select(s => new LossPoint(s, s <= 90 ? 1 : lossLevel)).ToArray());
    }

    private static void Selection(string folder, StudyMethod method, double lr, double validation)
        => RunLog.Open(Path.Combine(folder, "runs.csv")).Append(new RunRecord(Spec(method, RunPhase.Select, lr, 1000), validation, null, 10, 60, 5));

    private static string StudyWithTwoRanks(TemporaryDirectory root)
    {
        var main = Directory.CreateDirectory(Path.Combine(root.Path, "main")).FullName;
        Selection(main, StudyMethod.LoRA, 1e-3, 0.81);
        Selection(main, StudyMethod.LoRA, 2e-3, 0.86);
        Final(main, StudyMethod.LoRA, 2e-3, 1, 0.80, 0.30);
        Final(main, StudyMethod.LoRA, 2e-3, 2, 0.82, 0.20);
        Final(main, StudyMethod.LoRA, 2e-3, 3, 0.84, 0.10);
        Final(main, StudyMethod.DeltaLoRA, 1e-3, 1, 0.85, 0.40);
        Final(main, StudyMethod.DeltaLoRA, 1e-3, 2, 0.85, 0.40);
        Final(main, StudyMethod.DeltaLoRA, 1e-3, 3, 0.88, 0.40);
        Final(main, StudyMethod.Full, 1e-4, 1, 0.90);
        Final(main, StudyMethod.Frozen, null, 1, 0.70);
        // A sensitivity run in the main folder is not one of the rank sweep's final runs.
        RunLog.Open(Path.Combine(main, "runs.csv")).Append(new RunRecord(Spec(StudyMethod.DeltaLoRA, RunPhase.Sensitivity, 1e-3, 1), 0.5, new TaskScores(Accuracy: 0.1), 10, 60, 5));

        var rank1 = Directory.CreateDirectory(Path.Combine(root.Path, "rank", "r1-sst2")).FullName;
        Final(rank1, StudyMethod.DeltaLoRA, 5e-3, 1, 0.78);
        return root.Path;
    }

    [Fact]
    public void Each_rank_reads_its_own_folder_with_the_chosen_rate_its_selection_score_the_dev_mean_and_sd_and_the_late_loss()
    {
        using var root = new TemporaryDirectory();
        var outcome = RankSweep.Read(StudyWithTwoRanks(root), [GlueTask.Sst2], [1, 2, 8], mainRank: 8);

        var lora = outcome.Find(GlueTask.Sst2, StudyMethod.LoRA, 8)!;
        Assert.Equal(2e-3, lora.LearningRate);
        Assert.Equal(0.86, lora.SelectionScore);
        Assert.Equal(0.82, lora.Dev.Mean, 12);
        Assert.Equal(0.02, lora.Dev.Sd, 12);
        Assert.Equal(0.20, lora.LateLoss, 12); // mean of 0.30, 0.20, 0.10: only the last 10 steps count

        var delta = outcome.Find(GlueTask.Sst2, StudyMethod.DeltaLoRA, 8)!;
        Assert.Equal(0.86, delta.Dev.Mean, 12);
        Assert.Null(delta.SelectionScore); // no selection run at 1e-3 for Delta-LoRA in this folder
        Assert.Equal(0.40, delta.LateLoss, 12);

        var rank1 = outcome.Find(GlueTask.Sst2, StudyMethod.DeltaLoRA, 1)!;
        Assert.Equal(5e-3, rank1.LearningRate);
        Assert.Equal(1, rank1.Dev.Count);
        Assert.True(double.IsNaN(rank1.LateLoss));
        Assert.Null(outcome.Find(GlueTask.Sst2, StudyMethod.LoRA, 1));
        Assert.Null(outcome.Find(GlueTask.Sst2, StudyMethod.DeltaLoRA, 2));

        Assert.Equal([StudyMethod.Full, StudyMethod.Frozen], outcome.References.Select(r => r.Method).Order());
        Assert.Equal(0.90, outcome.References.Single(r => r.Method == StudyMethod.Full).Score.Mean);
    }

    [Fact]
    public void The_report_puts_the_two_methods_side_by_side_per_rank_and_draws_one_plot_per_task()
    {
        using var root = new TemporaryDirectory();
        var study = StudyWithTwoRanks(root);
        var path = RankSweep.Write(RankSweep.Read(study, [GlueTask.Sst2], [1, 2, 8], mainRank: 8), study);

        var markdown = File.ReadAllText(path);
        // r 8: LoRA 82.00 ± 2.00, Delta-LoRA 86.00 ± 1.73 (sd of 85, 85, 88). Seed by seed the differences are 5, 3, 4: mean 4,
        // sd 1, t = 4 / (1 / √3) = 6.93 on 2 degrees of freedom, p = 1 − t / √(t² + 2) = 0.020 (the closed form for 2 degrees),
        // 95% interval 4 ± 4.303 / √3 = [1.52, 6.48] (4.303 from a t-table); Delta-LoRA ahead on all 3 seeds, sign test p = 2 / 2³.
        Assert.Contains("| 8 | 2e-3 | 82.00 ± 2.00 | 0.200 | 1e-3 | 86.00 ± 1.73 | 0.400 | +4.00 [+1.52, +6.48] | t 6.93, p 0.020 | 3/0, p 0.25 |", markdown);
        Assert.Contains("| 1 | — | — | — | 5e-3 | 78.00 (1) | — | — | — | — |", markdown);
        Assert.Contains("| 2 | — | — | — | — | — | — | — | — | — |", markdown);
        Assert.Contains("Full 90.00", markdown);
        Assert.True(new FileInfo(Path.Combine(study, "rank", "plots", "rank-sst2.png")).Length > 0);
    }

    [Fact]
    public void Runs_whose_step_1_losses_differ_at_a_seed_drew_differently_and_are_not_paired()
    {
        using var root = new TemporaryDirectory();
        var study = StudyWithTwoRanks(root);
        var rank16 = Directory.CreateDirectory(Path.Combine(study, "rank", "r16-sst2")).FullName;
        foreach (int seed in new[] { 1, 2, 3 })
        {
            Final(rank16, StudyMethod.LoRA, 2e-3, seed, 0.80 + seed / 100.0);
            Final(rank16, StudyMethod.DeltaLoRA, 1e-3, seed, 0.70 + seed / 100.0);
            // One build's LoRA runs start from loss 0.69 at every seed, the other build's Delta-LoRA runs from 0.70.
            LossLog.Open(Path.Combine(rank16, "losses.csv")).Append(Spec(StudyMethod.LoRA, RunPhase.Final, 2e-3, seed), [new LossPoint(1, 0.69)]);
            LossLog.Open(Path.Combine(rank16, "losses.csv")).Append(Spec(StudyMethod.DeltaLoRA, RunPhase.Final, 1e-3, seed), [new LossPoint(1, 0.70)]);
        }
        var outcome = RankSweep.Read(study, [GlueTask.Sst2], [8, 16], mainRank: 8);
        var (paired, problem) = RankSweep.Paired(outcome.Find(GlueTask.Sst2, StudyMethod.LoRA, 16), outcome.Find(GlueTask.Sst2, StudyMethod.DeltaLoRA, 16));
        Assert.Null(paired);
        Assert.Equal(SharedDraws.DifferentNote, problem);
        var markdown = RankSweep.Render(outcome);
        Assert.Contains("| 16 | 2e-3 | 82.00 ± 1.00 | 0.690 | 1e-3 | 72.00 ± 1.00 | 0.700 |", markdown);
        Assert.Contains($"| -10.00 ({SharedDraws.DifferentNote}) | — | — |", markdown);
        // The main study's runs start from the same loss (1) at each seed, so r 8 is paired.
        Assert.NotNull(RankSweep.Paired(outcome.Find(GlueTask.Sst2, StudyMethod.LoRA, 8), outcome.Find(GlueTask.Sst2, StudyMethod.DeltaLoRA, 8)).Paired);
    }

    [Fact]
    public void A_study_folder_without_the_main_study_is_refused_naming_the_file()
    {
        using var root = new TemporaryDirectory();
        var error = Assert.Throws<FileNotFoundException>(() => RankSweep.Read(root.Path, [GlueTask.Sst2], [1, 8], mainRank: 8));
        Assert.Contains(Path.Combine(root.Path, "main", "runs.csv"), error.Message);
        Assert.False(File.Exists(Path.Combine(root.Path, "main", "runs.csv")));
    }

    [Fact]
    public void A_rank_folder_whose_final_runs_have_two_rates_is_refused()
    {
        using var root = new TemporaryDirectory();
        var study = StudyWithTwoRanks(root);
        Final(Path.Combine(study, "rank", "r1-sst2"), StudyMethod.DeltaLoRA, 1e-3, 2, 0.80);
        var error = Assert.Throws<InvalidDataException>(() => RankSweep.Read(study, [GlueTask.Sst2], [1, 8], mainRank: 8));
        Assert.Contains("r1-sst2", error.Message);
    }
}
