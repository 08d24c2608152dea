using DeltaLoRA.Bench.Study;

namespace DeltaLoRA.Bench.Reporting;

/// <summary>Writes results.md and plots/{loss,scores}-{task}.png into the output folder.</summary>
internal static class StudyReport
{
    public const string MarkdownFileName = "results.md";
    public const string PlotsFolderName = "plots";

    public static void Write(StudyOutcome outcome, string folder)
    {
        File.WriteAllText(Path.Combine(folder, MarkdownFileName), StudyMarkdown.Render(outcome));
        var plots = Directory.CreateDirectory(Path.Combine(folder, PlotsFolderName)).FullName;
        var summaries = MethodSummary.Of(outcome.Final);
        foreach (var task in outcome.Settings.Tasks)
        {
            var final = outcome.Final.Where(r => r.Spec.Task == task).ToArray();
            if (final.Length == 0) continue;
            var curves = final.Where(r => r.Spec.Method.FineTunes())
                .GroupBy(r => r.Spec.Method)
                .ToDictionary(g => g.Key, g => (IReadOnlyList<IReadOnlyList<LossPoint>>)g.Select(r => outcome.Losses.For(r.Spec)).ToArray());
            if (curves.Count > 0) Plots.LossCurves(Path.Combine(plots, $"loss-{task.Name}.png"), task, curves, outcome.Settings.IsQuick);
            Plots.ScoreBars(Path.Combine(plots, $"scores-{task.Name}.png"), task, summaries.Where(s => s.Task == task).ToArray(), outcome.Settings.IsQuick);
        }
    }
}
