using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Reporting;
using DeltaLoRA.Bench.Study;
using ScottPlot;

namespace DeltaLoRA.Bench.Spectrum;

/// <summary>
/// Plots of the spectrum runs: per task and method, the singular values of every adapted matrix's change (log scale, one line per
/// matrix, the r and 2r bounds marked); per task, the normalized spectra of the methods side by side; and the training-loss
/// curves of the methods at the common learning rate.
/// </summary>
internal static class SpectrumPlots
{
    /// <summary>Singular values are drawn no lower than this share of the largest one in the plot (exact zeros have no logarithm).</summary>
    private const double Floor = 1e-9;

    public static void SingularValues(string path, GlueTask task, StudyMethod method, double learningRate, int rank, IReadOnlyDictionary<AdaptedMatrix, WeightChange> changes)
    {
        var plot = new Plot();
        double top = changes.Values.Max(c => c.Largest);
        var ordered = changes.OrderBy(p => p.Key.Projection, StringComparer.Ordinal).ThenBy(p => p.Key.Layer).ToArray();
        var palette = new ScottPlot.Palettes.Category10();
        foreach (var (matrix, change) in ordered)
        {
            var line = plot.Add.Scatter(Indices(change), Log10(change.SingularValues, top));
            line.MarkerSize = 0;
            line.LineWidth = 1.5f;
            line.Color = palette.GetColor(matrix.Layer);
            if (matrix.Projection == "value") line.LinePattern = LinePattern.Dashed;
            line.LegendText = matrix.Label;
        }
        SaveSpectrum(plot, path, rank, $"{task.Name} {method}: singular values of W_eff,T − W_0 (lr {learningRate:0.###e+0}; query solid, value dashed)", "σ_i");
    }

    /// <summary>One line per method: σ_i / σ_1 averaged over the adapted matrices.</summary>
    public static void NormalizedSpectra(string path, GlueTask task, double learningRate, int rank, IReadOnlyList<(StudyMethod Method, IReadOnlyDictionary<AdaptedMatrix, WeightChange> Changes)> runs)
    {
        var plot = new Plot();
        foreach (var (method, changes) in runs)
        {
            int n = changes.Values.Min(c => c.SingularValues.Count);
            var mean = Enumerable.Range(0, n).Select(i => changes.Values.Average(c => c.Largest == 0 ? 0 : c.SingularValues[i] / c.Largest)).ToArray();
            var line = plot.Add.Scatter(Enumerable.Range(1, n).Select(i => (double)i).ToArray(), Log10(mean, 1));
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.Color = Plots.ColorOf(method);
            line.LegendText = method.ToString();
            if (method == StudyMethod.LoRA) line.LinePattern = LinePattern.Dashed;
        }
        SaveSpectrum(plot, path, rank, $"{task.Name}: σ_i / σ_1 of W_eff,T − W_0, mean over query/value matrices (lr {learningRate:0.###e+0})", "σ_i / σ_1");
    }

    /// <summary>One line per method: its loss per optimizer step (moving average over 5% of the steps), all at the same learning rate.</summary>
    public static void Losses(string path, GlueTask task, double learningRate, IReadOnlyList<(StudyMethod Method, IReadOnlyList<LossPoint> Losses)> runs)
    {
        var plot = new Plot();
        foreach (var (method, losses) in runs.OrderBy(r => r.Method == StudyMethod.DeltaLoRA ? 1 : 0))
        {
            if (losses.Count == 0) continue;
            var smoothed = LossCurves.MovingAverage(losses, Math.Max(1, losses.Count / 20));
            var line = plot.Add.Scatter(smoothed.Select(p => (double)p.Step).ToArray(), smoothed.Select(p => p.Loss).ToArray());
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.Color = Plots.ColorOf(method);
            line.LegendText = method.ToString();
            if (method == StudyMethod.LoRA) line.LinePattern = LinePattern.Dashed;
        }
        plot.Title($"{task.Name}: training loss, every method at lr {learningRate:0.###e+0} (one seed)");
        plot.Axes.Title.Label.FontSize = 14;
        plot.XLabel("optimizer step");
        plot.YLabel(task.IsRegression ? "mean squared error (moving average)" : "cross-entropy (moving average)");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, Plots.Width, Plots.Height);
    }

    private static double[] Indices(WeightChange change) => Enumerable.Range(1, change.SingularValues.Count).Select(i => (double)i).ToArray();

    private static double[] Log10(IReadOnlyList<double> values, double top) => values.Select(v => Math.Log10(Math.Max(v, Floor * top))).ToArray();

    private static void MarkRank(Plot plot, int index, string label)
    {
        var line = plot.Add.VerticalLine(index);
        line.Color = Colors.Gray;
        line.LinePattern = LinePattern.Dotted;
        line.LegendText = $"{label} = {index}";
    }

    private static void LogAxis(Plot plot)
    {
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            IntegerTicksOnly = true,
            LabelFormatter = y => $"1e{y:0}",
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        };
    }

    /// <summary>The r and 2r marks, the log axis, titles and legend every spectrum plot shares; then saves it.</summary>
    private static void SaveSpectrum(Plot plot, string path, int rank, string title, string yLabel)
    {
        MarkRank(plot, rank, "r");
        MarkRank(plot, 2 * rank, "2r");
        LogAxis(plot);
        plot.Title(title);
        plot.Axes.Title.Label.FontSize = 14;
        plot.XLabel("index i (largest first)");
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, Plots.Width, Plots.Height);
    }
}
