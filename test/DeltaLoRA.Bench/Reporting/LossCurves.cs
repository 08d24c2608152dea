using DeltaLoRA.Bench.Study;

namespace DeltaLoRA.Bench.Reporting;

/// <summary>The curve drawn for one method: the per-step loss averaged over its final seeds, then a trailing moving average.</summary>
internal static class LossCurves
{
    /// <summary>Mean over runs of the loss at each step that every run reached.</summary>
    public static LossPoint[] MeanOverRuns(IReadOnlyList<IReadOnlyList<LossPoint>> runs)
    {
        var nonEmpty = runs.Where(r => r.Count > 0).ToArray();
        if (nonEmpty.Length == 0) return [];
        var byStep = nonEmpty.Select(r => r.ToDictionary(p => p.Step, p => p.Loss)).ToArray();
        return nonEmpty[0].Select(p => p.Step)
            .Where(step => byStep.All(d => d.ContainsKey(step)))
            .Select(step => new LossPoint(step, byStep.Average(d => d[step])))
            .ToArray();
    }

    /// <summary>The mean loss over the last 10% of the steps (at least one): how far a run fitted its training data in the end.</summary>
    public static double LateMean(IReadOnlyList<LossPoint> losses)
    {
        if (losses.Count == 0) return double.NaN;
        int tail = Math.Max(1, losses.Count / 10);
        return losses.Skip(losses.Count - tail).Average(p => p.Loss);
    }

    /// <summary>Each point becomes the mean of itself and the <paramref name="window"/> − 1 points before it.</summary>
    public static LossPoint[] MovingAverage(IReadOnlyList<LossPoint> points, int window)
    {
        if (window < 1) throw new ArgumentOutOfRangeException(nameof(window), window, "The window must be at least 1.");
        var smoothed = new LossPoint[points.Count];
        double sum = 0;
        for (int i = 0; i < points.Count; i++)
        {
            sum += points[i].Loss;
            if (i >= window) sum -= points[i - window].Loss;
            smoothed[i] = new LossPoint(points[i].Step, sum / Math.Min(i + 1, window));
        }
        return smoothed;
    }
}
