namespace DeltaLoRA.Bench.Angles;

/// <summary>A set of principal angles (degrees, smallest first) read as its smallest, median and largest angle and its mean cos².</summary>
internal sealed record AngleSummary(double Smallest, double Median, double Largest, double MeanSquaredCosine)
{
    public static AngleSummary Of(IReadOnlyList<double> degrees)
    {
        if (degrees.Count == 0) return new AngleSummary(double.NaN, double.NaN, double.NaN, 0);
        var sorted = degrees.Order().ToArray();
        int middle = sorted.Length / 2;
        double median = sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return new AngleSummary(sorted[0], median, sorted[^1], SubspaceAngles.MeanSquaredCosine(sorted));
    }

    /// <summary>The mean of each figure over several sets (over matrices, or over random draws).</summary>
    public static AngleSummary Mean(IReadOnlyCollection<AngleSummary> summaries)
        => new(summaries.Average(s => s.Smallest), summaries.Average(s => s.Median), summaries.Average(s => s.Largest), summaries.Average(s => s.MeanSquaredCosine));
}
