using System.Globalization;

namespace DeltaLoRA.Bench.Reporting;

/// <summary>
/// Two methods compared run by run where their runs share a seed (the same data order and initialization draws), so that
/// the seed-to-seed spread both share cancels: the mean of the differences (first − second), its sample sd, the paired t
/// with n − 1 degrees of freedom, its two-sided p and 95% interval, and the exact two-sided sign test (ties dropped).
/// Welch's t on the same runs ignores the pairing and, where the seed moves both methods alike, overstates the noise.
/// </summary>
internal sealed record PairedComparison(int Pairs, double MeanDifference, double SdDifference, double T, double P, double Low95, double High95,
    int Wins, int Losses, int Ties, double SignP)
{
    /// <param name="pairs">(first, second) scored with the same seed.</param>
    public static PairedComparison Of(IReadOnlyList<(double First, double Second)> pairs)
    {
        if (pairs.Count == 0) throw new ArgumentException("A paired comparison needs at least one pair of runs with the same seed.", nameof(pairs));
        var differences = pairs.Select(p => p.First - p.Second).ToArray();
        var stats = MeanSd.Of(differences);
        int wins = differences.Count(d => d > 0), losses = differences.Count(d => d < 0);
        double signP = SignTestTwoSided(wins, losses);
        int n = differences.Length;
        if (n < 2 || !(stats.Sd > 0))
            // One pair has no spread to test against; identical differences have none either (t would be ±∞ or 0/0).
            return new PairedComparison(n, stats.Mean, stats.Sd, double.NaN, double.NaN, double.NaN, double.NaN, wins, losses, n - wins - losses, signP);
        double standardError = stats.Sd / Math.Sqrt(n);
        double t = stats.Mean / standardError;
        double halfWidth = StudentT.Quantile(0.975, n - 1) * standardError;
        return new PairedComparison(n, stats.Mean, stats.Sd, t, StudentT.TwoSidedTail(t, n - 1), stats.Mean - halfWidth, stats.Mean + halfWidth,
            wins, losses, n - wins - losses, signP);
    }

    /// <summary>
    /// Pairs two methods' scores by seed. Seeds that only one side has are left out (<paramref name="unpaired"/> counts them);
    /// a seed twice on one side means the runs are not one configuration, which is an error of the caller.
    /// </summary>
    public static IReadOnlyList<(double First, double Second)> BySeed(IEnumerable<(int Seed, double Score)> first, IEnumerable<(int Seed, double Score)> second, out int unpaired)
    {
        var a = ToBySeed(first, "first");
        var b = ToBySeed(second, "second");
        unpaired = a.Keys.Count(s => !b.ContainsKey(s)) + b.Keys.Count(s => !a.ContainsKey(s));
        return a.Keys.Where(b.ContainsKey).Order().Select(s => (a[s], b[s])).ToArray();
    }

    private static Dictionary<int, double> ToBySeed(IEnumerable<(int Seed, double Score)> runs, string side)
    {
        var bySeed = new Dictionary<int, double>();
        foreach (var (seed, score) in runs)
            if (!bySeed.TryAdd(seed, score))
                throw new InvalidDataException($"Seed {seed} appears twice among the {side} method's runs; a paired comparison needs one run per seed and method.");
        return bySeed;
    }

    /// <summary>Exact two-sided sign test: P(a count as far from n/2 as the smaller of wins and losses) under Binomial(n, ½).</summary>
    public static double SignTestTwoSided(int wins, int losses)
    {
        if (wins < 0 || losses < 0) throw new ArgumentOutOfRangeException(nameof(wins), $"{wins}, {losses}", "Counts cannot be negative.");
        int n = wins + losses;
        if (n == 0) return double.NaN;
        int k = Math.Min(wins, losses);
        double tail = 0, coefficient = 1; // C(n, 0)
        for (int i = 0; i <= k; i++)
        {
            tail += coefficient;
            coefficient = coefficient * (n - i) / (i + 1);
        }
        return Math.Min(1, 2 * tail * Math.Pow(0.5, n));
    }

    /// <summary>"+1.34 [−0.9, +3.6]" in points ×100 (the interval only where there is one).</summary>
    public string DifferenceWithInterval() => double.IsNaN(Low95)
        ? Points(MeanDifference)
        : $"{Points(MeanDifference)} [{Points(Low95)}, {Points(High95)}]";

    /// <summary>"t 2.10, p 0.17" (or "—" where there is no spread to test against).</summary>
    public string TText() => double.IsNaN(T) ? "—" : Invariant($"t {T:0.00}, p {P:0.000}");

    /// <summary>
    /// "3/0, p 0.25": Delta wins / losses (ties noted), and the sign test's two-sided p; "—" for p where every pair tied, which
    /// leaves the test nothing to count.
    /// </summary>
    public string SignText() => Invariant($"{Wins}/{Losses}{(Ties > 0 ? $" ({Ties} tied)" : "")}, {(double.IsNaN(SignP) ? "p —" : $"p {SignP:0.00}")}");

    private static string Points(double value) => (100 * value).ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
