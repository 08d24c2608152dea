using ScottPlot;

namespace DeltaLoRA.Cli.Output;

/// <summary>A PNG of the loss curve: loss per step and its moving average (left axis), the learning rate (right axis) and the validation metric per epoch.</summary>
internal static class LossPlot
{
    public const int Width = 1000;
    public const int Height = 600;

    public static void Save(IReadOnlyList<LossPoint> points, string path, string title, string validationMetricName)
    {
        if (points.Count == 0) throw new InvalidOperationException("No training steps were recorded, so there is no loss curve to plot.");
        var plot = new Plot();
        double[] steps = points.Select(p => (double)p.Step).ToArray();
        double[] losses = points.Select(p => p.Loss).ToArray();

        int window = Math.Clamp(points.Count / 20, 1, 50);
        var raw = plot.Add.ScatterLine(steps, losses);
        raw.LegendText = "training loss (per step)";
        raw.Color = window > 1 ? Colors.SteelBlue.WithAlpha(0.35) : Colors.SteelBlue;
        raw.LineWidth = window > 1 ? 1 : 2;

        if (window > 1)
        {
            var smooth = plot.Add.ScatterLine(steps, MovingAverage(losses, window));
            smooth.LegendText = $"training loss ({window}-step moving average)";
            smooth.Color = Colors.SteelBlue;
            smooth.LineWidth = 2.5f;
        }

        var learningRate = plot.Add.ScatterLine(steps, points.Select(p => p.LearningRate).ToArray());
        learningRate.LegendText = "learning rate (right axis)";
        learningRate.Color = Colors.DarkOrange;
        learningRate.LinePattern = LinePattern.Dashed;
        learningRate.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Right.Label.Text = "learning rate";

        var validated = points.Where(p => p.ValidationMetric is not null).ToArray();
        if (validated.Length > 0)
        {
            var axis = plot.Axes.AddRightAxis();
            axis.LabelText = validationMetricName;
            var metric = plot.Add.ScatterPoints(validated.Select(p => (double)p.Step).ToArray(), validated.Select(p => p.ValidationMetric!.Value).ToArray());
            metric.LegendText = $"{validationMetricName} (outer right axis)";
            metric.Color = Colors.ForestGreen;
            metric.MarkerSize = 10;
            metric.Axes.YAxis = axis;
            // Accuracy on its full scale, so that a change of a few rows does not look like a leap.
            if (validated.All(p => p.ValidationMetric is >= 0 and <= 1)) plot.Axes.SetLimitsY(0, 1.02, axis);
        }

        bool first = true;
        foreach (var boundary in EpochBoundaries(points))
        {
            var line = plot.Add.VerticalLine(boundary.Step + 0.5, width: 1, color: Colors.Gray, pattern: LinePattern.Dotted);
            if (first) line.LegendText = "end of an epoch";
            first = false;
        }

        plot.Title(title);
        plot.Axes.Bottom.Label.Text = "optimizer step";
        plot.Axes.Left.Label.Text = "training loss";
        plot.ShowLegend(Edge.Bottom);
        AtomicFile.Write(path, temporary => plot.SavePng(temporary, Width, Height));
    }

    /// <summary>The steps that end an epoch (a whole epoch count), but the last step.</summary>
    private static IEnumerable<(int Step, int Epoch)> EpochBoundaries(IReadOnlyList<LossPoint> points)
    {
        for (int i = 0; i + 1 < points.Count; i++)
        {
            double rounded = Math.Round(points[i].Epoch);
            if (rounded >= 1 && Math.Abs(points[i].Epoch - rounded) < 1e-9) yield return (points[i].Step, (int)rounded);
        }
    }

    /// <summary>Mean of the last <paramref name="window"/> values up to each point (fewer at the start).</summary>
    public static double[] MovingAverage(IReadOnlyList<double> values, int window)
    {
        var averages = new double[values.Count];
        double sum = 0;
        for (int i = 0; i < values.Count; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            averages[i] = sum / Math.Min(i + 1, window);
        }
        return averages;
    }
}
