using Microsoft.ML.DeltaLoRA;
using ScottPlot;
using Microsoft.ML.DeltaLoRA.Sweeping;

namespace DeltaLoRA.Cli.Output;

/// <summary>A PNG of a sweep: each completed trial's validation metric against its learning rate (log scale), one colour per method, larger markers for larger budgets.</summary>
internal static class SweepPlot
{
    public const int Width = 1000;
    public const int Height = 600;

    private static readonly IReadOnlyDictionary<FineTuningMethod, Color> MethodColors = new Dictionary<FineTuningMethod, Color>
    {
        [FineTuningMethod.DeltaLoRA] = Color.FromHex("#d62728"),
        [FineTuningMethod.LoRA] = Color.FromHex("#1f77b4"),
        [FineTuningMethod.Full] = Color.FromHex("#2ca02c"),
    };

    public static void Save(IReadOnlyList<SweepTrial> trials, SweepTrial best, string metricName, string path, string title)
    {
        var plot = new Plot();
        foreach (var group in trials.Where(t => t.Status == SweepTrialStatus.Completed).GroupBy(t => t.Configuration.Method).OrderBy(g => g.Key))
        {
            foreach (var rung in group.GroupBy(t => t.Rung).OrderBy(r => r.Key))
            {
                var points = plot.Add.ScatterPoints(rung.Select(t => Math.Log10(t.Options.LearningRate)).ToArray(), rung.Select(t => t.Metric!.Value).ToArray());
                points.Color = MethodColors[group.Key];
                points.MarkerSize = 6 + 4 * rung.Key;
                points.LegendText = $"{group.Key}, rung {rung.Key}";
            }
        }
        var star = plot.Add.ScatterPoints(new[] { Math.Log10(best.Options.LearningRate) }, new[] { best.Metric!.Value });
        star.MarkerShape = MarkerShape.OpenCircle;
        star.MarkerSize = 22;
        star.Color = Colors.Black;
        star.LegendText = $"best: trial {best.Number}";

        // Accuracy on its full scale, so that a difference of a few rows does not look like a leap.
        if (trials.All(t => t.Metric is null or (>= 0 and <= 1))) plot.Axes.SetLimitsY(0, 1.02);

        int failed = trials.Count(t => t.Status == SweepTrialStatus.Failed);
        plot.Title(failed == 0 ? title : $"{title} ({failed} failed trial{(failed == 1 ? "" : "s")} not shown)");
        plot.Axes.Bottom.Label.Text = "learning rate";
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = exponent => FormattableString.Invariant($"{Math.Pow(10, exponent):0.#e+0}"),
        };
        plot.Axes.Left.Label.Text = $"validation {metricName}";
        plot.ShowLegend(Edge.Right);
        AtomicFile.Write(path, temporary => plot.SavePng(temporary, Width, Height));
    }
}
