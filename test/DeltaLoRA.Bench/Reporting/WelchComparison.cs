using System.Globalization;

namespace DeltaLoRA.Bench.Reporting;

/// <summary>
/// Welch's unequal-variance t for two independent samples (first − second), with the Welch–Satterthwaite degrees of freedom.
/// Kept beside <see cref="PairedComparison"/> so that a report can show what the unpaired reading would have said; where
/// runs share seeds, the paired test is the one to read.
/// </summary>
internal sealed record WelchComparison(double MeanDifference, double T, double DegreesOfFreedom, double P)
{
    public static WelchComparison Of(IReadOnlyCollection<double> first, IReadOnlyCollection<double> second)
    {
        var a = MeanSd.Of(first);
        var b = MeanSd.Of(second);
        double difference = a.Mean - b.Mean;
        if (a.Count < 2 || b.Count < 2) return new WelchComparison(difference, double.NaN, double.NaN, double.NaN);
        double va = a.Sd * a.Sd / a.Count, vb = b.Sd * b.Sd / b.Count;
        if (!(va + vb > 0)) return new WelchComparison(difference, double.NaN, double.NaN, double.NaN);
        double t = difference / Math.Sqrt(va + vb);
        double df = (va + vb) * (va + vb) / (va * va / (a.Count - 1) + vb * vb / (b.Count - 1));
        return new WelchComparison(difference, t, df, StudentT.TwoSidedTail(t, df));
    }

    /// <summary>"t 1.23, p 0.301" (or "—" where either side has fewer than two runs or no spread).</summary>
    public string TText() => double.IsNaN(T) ? "—" : string.Create(CultureInfo.InvariantCulture, $"t {T:0.00}, p {P:0.000}");
}
