namespace DeltaLoRA.Bench.Reporting;

/// <summary>Mean and sample standard deviation (n − 1) over seeds.</summary>
internal readonly record struct MeanSd(double Mean, double Sd, int Count)
{
    public static MeanSd Of(IEnumerable<double> values)
    {
        var list = values.ToArray();
        if (list.Length == 0) return new MeanSd(double.NaN, double.NaN, 0);
        double mean = list.Average();
        double sd = list.Length < 2 ? double.NaN : Math.Sqrt(list.Sum(v => (v - mean) * (v - mean)) / (list.Length - 1));
        return new MeanSd(mean, sd, list.Length);
    }

    /// <summary>As a percentage, "85.21 ± 0.43" (no ± for a single value).</summary>
    public string ToPercent() => Count == 0 ? "—"
        : double.IsNaN(Sd) ? $"{Percent(Mean)}" : $"{Percent(Mean)} ± {Percent(Sd)}";

    private static string Percent(double value) => double.IsNaN(value) ? "nan" : (100 * value).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
}
