using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Study;
using ScottPlot;

namespace DeltaLoRA.Bench.Reporting;

/// <summary>PNG plots of a study: training-loss curves per task, and a bar chart per task with ±1 sd error bars.</summary>
internal static class Plots
{
    public const int Width = 900;
    public const int Height = 540;

    private static readonly IReadOnlyDictionary<StudyMethod, Color> MethodColors = new Dictionary<StudyMethod, Color>
    {
        [StudyMethod.DeltaLoRA] = Color.FromHex("#d62728"),
        [StudyMethod.LoRA] = Color.FromHex("#1f77b4"),
        [StudyMethod.Full] = Color.FromHex("#2ca02c"),
        [StudyMethod.Frozen] = Color.FromHex("#7f7f7f"),
    };

    /// <summary>The colour a method has in every plot of the bench.</summary>
    public static Color ColorOf(StudyMethod method) => MethodColors[method];

    /// <summary>One line per fine-tuning method: the final runs' mean loss per step (moving average over 5% of the steps).</summary>
    public static void LossCurves(string path, GlueTask task, IReadOnlyDictionary<StudyMethod, IReadOnlyList<IReadOnlyList<LossPoint>>> runsByMethod, bool isQuick)
    {
        var plot = new Plot();
        int seeds = 0;
        // Delta-LoRA last, so that it is drawn on top of LoRA where the two curves coincide (LoRA is dashed).
        foreach (var (method, runs) in runsByMethod.OrderBy(p => p.Key == StudyMethod.DeltaLoRA ? 1 : 0))
        {
            var mean = Reporting.LossCurves.MeanOverRuns(runs);
            if (mean.Length == 0) continue;
            seeds = Math.Max(seeds, runs.Count);
            var smoothed = Reporting.LossCurves.MovingAverage(mean, Math.Max(1, mean.Length / 20));
            var line = plot.Add.Scatter(smoothed.Select(p => (double)p.Step).ToArray(), smoothed.Select(p => p.Loss).ToArray());
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.Color = MethodColors[method];
            line.LegendText = method.ToString();
            if (method == StudyMethod.LoRA) line.LinePattern = LinePattern.Dashed;
        }
        Title(plot, $"{task.Name}: training loss at the chosen learning rate (mean of {seeds} seed{(seeds == 1 ? "" : "s")}){QuickNote(isQuick)}");
        plot.XLabel("optimizer step");
        plot.YLabel(task.IsRegression ? "mean squared error (moving average)" : "cross-entropy (moving average)");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, Width, Height);
    }

    /// <summary>One bar per method: the task's dev score (×100), mean over seeds, with ±1 sd error bars.</summary>
    public static void ScoreBars(string path, GlueTask task, IReadOnlyList<MethodSummary> summaries, bool isQuick)
    {
        var plot = new Plot();
        var bars = summaries.Select((s, i) => new Bar
        {
            Position = i,
            Value = 100 * s.Score.Mean,
            Error = double.IsNaN(s.Score.Sd) ? 0 : 100 * s.Score.Sd,
            FillColor = MethodColors[s.Method],
        }).ToArray();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks(summaries.Select((_, i) => (double)i).ToArray(), summaries.Select(s => $"{s.Method}\n{s.Score.ToPercent()}").ToArray());
        int seeds = summaries.Count == 0 ? 0 : summaries.Max(s => s.Score.Count);
        Title(plot, $"{task.Name}: dev score (mean ± sd, {seeds} seed{(seeds == 1 ? "" : "s")}){QuickNote(isQuick)}");
        plot.YLabel($"{MetricNames.ScoreName(task)} × 100");
        ScaleToBars(plot, bars);
        plot.SavePng(path, Width, Height);
    }

    /// <summary>Grouped bars: one group per λ, one bar per K, with ±1 sd error bars.</summary>
    public static void SensitivityBars(string path, GlueTask task, IReadOnlyList<double> lambdas, IReadOnlyList<string> kLabels,
        Func<double, int, Reporting.MeanSd> cell, bool isQuick)
    {
        var plot = new Plot();
        var palette = new[] { Color.FromHex("#1f77b4"), Color.FromHex("#ff7f0e"), Color.FromHex("#2ca02c"), Color.FromHex("#9467bd") };
        var all = new List<Bar>();
        double groupWidth = 0.8, barWidth = groupWidth / kLabels.Count;
        for (int k = 0; k < kLabels.Count; k++)
        {
            var bars = lambdas.Select((lambda, i) =>
            {
                var value = cell(lambda, k);
                return new Bar
                {
                    Position = i - groupWidth / 2 + barWidth * (k + 0.5),
                    Value = 100 * value.Mean,
                    Error = double.IsNaN(value.Sd) ? 0 : 100 * value.Sd,
                    FillColor = palette[k % palette.Length],
                    Size = barWidth * 0.9,
                };
            }).Where(b => !double.IsNaN(b.Value)).ToArray();
            all.AddRange(bars);
            var series = plot.Add.Bars(bars);
            series.LegendText = kLabels[k];
        }
        plot.Axes.Bottom.SetTicks(lambdas.Select((_, i) => (double)i).ToArray(), lambdas.Select(l => $"λ = {l:0.##}").ToArray());
        Title(plot, $"{task.Name}: Delta-LoRA dev score by λ and K (mean ± sd){QuickNote(isQuick)}");
        plot.YLabel($"{MetricNames.ScoreName(task)} × 100");
        plot.ShowLegend(Alignment.LowerRight);
        ScaleToBars(plot, all);
        plot.SavePng(path, Width, Height);
    }

    /// <summary>
    /// Dev score against adapter rank (log₂ axis), one line per adapter method with ±1 sd error bars (Delta-LoRA nudged right so
    /// that the bars do not hide each other); the rank-free methods (full fine-tuning, frozen baseline) as horizontal lines.
    /// </summary>
    public static void RankSweep(string path, GlueTask task, IReadOnlyList<int> ranks, IReadOnlyList<Reporting.RankSweep.Cell> cells, IReadOnlyList<MethodSummary> references)
    {
        var plot = new Plot();
        var values = new List<(double Low, double High)>();
        foreach (var method in new[] { StudyMethod.LoRA, StudyMethod.DeltaLoRA })
        {
            var points = cells.Where(c => c.Method == method).OrderBy(c => c.Rank).ToArray();
            if (points.Length == 0) continue;
            double nudge = method == StudyMethod.DeltaLoRA ? 0.04 : -0.04;
            var xs = points.Select(c => Math.Log2(c.Rank) + nudge).ToArray();
            var ys = points.Select(c => 100 * c.Dev.Mean).ToArray();
            var errors = points.Select(c => double.IsNaN(c.Dev.Sd) ? 0 : 100 * c.Dev.Sd).ToArray();
            var line = plot.Add.Scatter(xs, ys);
            line.Color = MethodColors[method];
            line.LineWidth = 2;
            line.MarkerSize = 7;
            line.LegendText = method.ToString();
            if (method == StudyMethod.LoRA) line.LinePattern = LinePattern.Dashed;
            var bars = plot.Add.ErrorBar(xs, ys, errors);
            bars.Color = MethodColors[method];
            values.AddRange(ys.Zip(errors, (y, e) => (y - e, y + e)));
        }
        foreach (var reference in references)
        {
            var level = plot.Add.HorizontalLine(100 * reference.Score.Mean);
            level.Color = MethodColors[reference.Method];
            level.LineWidth = 1.5f;
            level.LinePattern = LinePattern.Dotted;
            level.LegendText = $"{reference.Method} (any r) {reference.Score.ToPercent()}";
            values.Add((100 * reference.Score.Mean, 100 * reference.Score.Mean));
        }
        plot.Axes.Bottom.SetTicks(ranks.Select(r => Math.Log2(r)).ToArray(), ranks.Select(r => $"r = {r}").ToArray());
        plot.Axes.SetLimitsX(Math.Log2(ranks.Min()) - 0.3, Math.Log2(ranks.Max()) + 0.3);
        ScaleToRanges(plot, values);
        Title(plot, $"{task.Name}: dev score by adapter rank (mean ± sd, each at its own learning rate)");
        plot.XLabel("adapter rank r (α = 16 at every r)");
        plot.YLabel($"{MetricNames.ScoreName(task)} × 100");
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, Width, Height);
    }

    /// <summary>Zooms the value axis onto the bars' range (differences of a point or two must be visible), with room for the error bars.</summary>
    private static void ScaleToBars(Plot plot, IReadOnlyList<Bar> bars)
        => ScaleToRanges(plot, bars.Where(b => double.IsFinite(b.Value)).Select(b => (b.Value - b.Error, b.Value + b.Error)).ToArray());

    /// <summary>Zooms the value axis onto the union of the given value ranges, padded by a quarter of it (at least 1).</summary>
    private static void ScaleToRanges(Plot plot, IReadOnlyList<(double Low, double High)> ranges)
    {
        if (ranges.Count == 0) return;
        double low = ranges.Min(r => r.Low), high = ranges.Max(r => r.High);
        double pad = Math.Max((high - low) * 0.25, 1);
        plot.Axes.SetLimitsY(low - pad, high + pad);
    }

    private static string QuickNote(bool isQuick) => isQuick ? " — SMOKE RUN" : "";

    private static void Title(Plot plot, string text)
    {
        plot.Title(text);
        plot.Axes.Title.Label.FontSize = 15;
    }
}
