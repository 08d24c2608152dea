using System.Globalization;
using System.Text;
using DeltaLoRA.Bench.Reporting;
using DeltaLoRA.Bench.Study;

namespace DeltaLoRA.Bench.Spectrum;

/// <summary>spectrum.md (per task and method: dev score, late training loss, and the shape of W_eff,T − W_0) and the spectrum plots.</summary>
internal static class SpectrumReport
{
    public const string MarkdownFileName = "spectrum.md";

    /// <returns>The path of spectrum.md.</returns>
    public static string Write(IReadOnlyList<SpectrumStudy.TaskOutcome> outcomes, StudySettings settings, double learningRate, int seed)
    {
        var folder = settings.OutputFolder;
        var plots = Directory.CreateDirectory(Path.Combine(folder, StudyReport.PlotsFolderName)).FullName;
        foreach (var outcome in outcomes.Where(o => o.Runs.Count > 0))
        {
            foreach (var run in outcome.Runs)
                SpectrumPlots.SingularValues(Path.Combine(plots, $"spectrum-{outcome.Task.Name}-{run.Record.Spec.Method}.png"), outcome.Task, run.Record.Spec.Method,
                    learningRate, settings.Rank, run.Changes);
            SpectrumPlots.NormalizedSpectra(Path.Combine(plots, $"spectrum-{outcome.Task.Name}.png"), outcome.Task, learningRate, settings.Rank,
                outcome.Runs.Select(r => (r.Record.Spec.Method, r.Changes)).ToArray());
            SpectrumPlots.Losses(Path.Combine(plots, $"spectrum-loss-{outcome.Task.Name}.png"), outcome.Task, learningRate,
                outcome.Runs.Select(r => (r.Record.Spec.Method, r.Losses)).ToArray());
        }
        var path = Path.Combine(folder, MarkdownFileName);
        File.WriteAllText(path, Render(outcomes, settings, learningRate, seed));
        return path;
    }

    public static string Render(IReadOnlyList<SpectrumStudy.TaskOutcome> outcomes, StudySettings settings, double learningRate, int seed)
    {
        int r = settings.Rank;
        var text = new StringBuilder();
        text.AppendLine("# What each method learned: singular values of W_eff,T − W_0").AppendLine();
        if (settings.IsQuick) text.AppendLine("> **SMOKE RUN (`--quick`)**: these numbers test the tooling; they are not evidence.").AppendLine();
        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine(string.Create(invariant, $"Every method at learning rate {learningRate:0.###e+0}, seed {seed}, r {r}, α {settings.Alpha}, λ {settings.UpdateRatio}, K = warmup; one run each. ")
            + "ΔW = W_eff,T − W_0 of each attention query and value matrix (W_0 from the pretrained checkpoint, W_eff,T from the saved ML.NET model, adapters merged). "
            + string.Create(invariant, $"Numerical rank counts σ_i > {WeightChange.DefaultRelativeTolerance:0e+0} × σ_1; Delta-LoRA's ΔW has rank ≤ 2r = {2 * r} by the telescoping sum, LoRA's ≤ r = {r}, full fine-tuning's is unbounded. ")
            + "Outside top r / 2r: the share of ‖ΔW‖²_F beyond the r / 2r largest singular values (mean over matrices). Late loss: mean training loss over the last 10% of the steps.");
        text.AppendLine();
        foreach (var outcome in outcomes.Where(o => o.Runs.Count > 0))
        {
            var first = outcome.Runs[0].Record.Spec;
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"## {outcome.Task.Name} ({first.Steps} steps, {first.TrainRows} training rows)")).AppendLine();
            text.AppendLine($"| method | dev {MetricNames.ScoreName(outcome.Task)} ×100 | late loss | numerical rank (min–max) | stable rank (mean) | outside top r | outside top 2r | ‖ΔW‖_F (mean) | σ_1 (mean) |");
            text.AppendLine("|---|---|---|---|---|---|---|---|---|");
            foreach (var run in outcome.Runs)
            {
                var changes = run.Changes.Values.ToArray();
                var ranks = changes.Select(c => c.NumericalRank()).ToArray();
                text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {run.Record.Spec.Method} | {100 * run.Record.DevScores.Score:0.00} | {LossCurves.LateMean(run.Losses):0.0000} | {ranks.Min()}–{ranks.Max()} | {changes.Average(c => c.StableRank):0.00} | "
                    + $"{changes.Average(c => 1 - TopShare(c, r)):0.00e+0} | {changes.Average(c => 1 - TopShare(c, 2 * r)):0.00e+0} | {changes.Average(c => c.FrobeniusNorm):0.0000} | {changes.Average(c => c.Largest):0.0000} |"));
            }
            text.AppendLine();
            text.AppendLine($"Plots: `plots/spectrum-{outcome.Task.Name}.png` (methods compared), `plots/spectrum-{outcome.Task.Name}-<method>.png` (every matrix), `plots/spectrum-loss-{outcome.Task.Name}.png` (loss curves).");
            text.AppendLine();
        }
        return text.ToString();
    }

    /// <summary>The share of ‖ΔW‖²_F held by the <paramref name="count"/> largest singular values.</summary>
    public static double TopShare(WeightChange change, int count)
    {
        double total = change.SingularValues.Sum(s => s * s);
        return total == 0 ? 0 : change.SingularValues.Take(count).Sum(s => s * s) / total;
    }
}
