namespace Microsoft.ML.DeltaLoRA.Benchmarks;

internal static class Statistics
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) throw new InvalidOperationException("The median of no values.");
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The largest |a[i] − b[i]| of two arrays of the same length.</summary>
    public static double MaxAbsoluteDifference(float[] a, float[] b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"{a.Length} values against {b.Length}.", nameof(b));
        return a.Zip(b, (x, y) => Math.Abs((double)x - y)).DefaultIfEmpty(0).Max();
    }
}
