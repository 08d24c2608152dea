namespace DeltaLoRA.Bench.Reporting;

/// <summary>
/// Student's t distribution: the two-sided tail probability and the quantile, for paired tests over a handful of seeds.
/// P(|T| ≥ t) with ν degrees of freedom is the regularized incomplete beta I_x(ν/2, 1/2) at x = ν / (ν + t²)
/// (Abramowitz and Stegun 26.7.1 with 26.5.27); I_x is evaluated by its continued fraction (A&amp;S 26.5.8) with the modified
/// Lentz method, and ln Γ by the Lanczos series (g = 7, 9 terms), which is good to about 15 digits for positive arguments.
/// </summary>
internal static class StudentT
{
    /// <summary>P(|T| ≥ |t|) for ν degrees of freedom: the two-sided p-value of a t statistic.</summary>
    public static double TwoSidedTail(double t, double degreesOfFreedom)
    {
        if (!(degreesOfFreedom > 0)) throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), degreesOfFreedom, "The t distribution needs degrees of freedom above 0.");
        if (double.IsNaN(t)) return double.NaN;
        if (double.IsInfinity(t)) return 0;
        double x = degreesOfFreedom / (degreesOfFreedom + t * t);
        return RegularizedIncompleteBeta(degreesOfFreedom / 2, 0.5, x);
    }

    /// <summary>P(T ≤ t) for ν degrees of freedom.</summary>
    public static double Cdf(double t, double degreesOfFreedom)
    {
        double tail = TwoSidedTail(t, degreesOfFreedom) / 2;
        return t >= 0 ? 1 - tail : tail;
    }

    /// <summary>The t with P(T ≤ t) = <paramref name="probability"/>, found by bisection on the CDF (monotone, so it cannot miss).</summary>
    public static double Quantile(double probability, double degreesOfFreedom)
    {
        if (!(probability > 0 && probability < 1)) throw new ArgumentOutOfRangeException(nameof(probability), probability, "A quantile needs a probability strictly between 0 and 1.");
        double low = -1, high = 1;
        while (Cdf(low, degreesOfFreedom) > probability) low *= 2;
        while (Cdf(high, degreesOfFreedom) < probability) high *= 2;
        for (int i = 0; i < 200 && high - low > 1e-13 * Math.Max(1, Math.Abs(high)); i++)
        {
            double middle = (low + high) / 2;
            if (Cdf(middle, degreesOfFreedom) < probability) low = middle; else high = middle;
        }
        return (low + high) / 2;
    }

    /// <summary>I_x(a, b), the regularized incomplete beta function, for a, b &gt; 0 and 0 ≤ x ≤ 1.</summary>
    public static double RegularizedIncompleteBeta(double a, double b, double x)
    {
        if (!(a > 0 && b > 0)) throw new ArgumentOutOfRangeException(nameof(a), $"a = {a}, b = {b}", "The incomplete beta function needs a > 0 and b > 0.");
        if (!(x >= 0 && x <= 1)) throw new ArgumentOutOfRangeException(nameof(x), x, "The incomplete beta function needs 0 ≤ x ≤ 1.");
        if (x == 0 || x == 1) return x;
        double front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x));
        // The continued fraction converges fast for x < (a + 1) / (a + b + 2); beyond it, use I_x(a, b) = 1 − I_{1−x}(b, a).
        return x < (a + 1) / (a + b + 2)
            ? front * ContinuedFraction(a, b, x) / a
            : 1 - front * ContinuedFraction(b, a, 1 - x) / b;
    }

    private static double ContinuedFraction(double a, double b, double x)
    {
        const double tiny = 1e-300;
        double c = 1, d = 1 - (a + b) * x / (a + 1);
        d = 1 / (Math.Abs(d) < tiny ? tiny : d);
        double result = d;
        for (int m = 1; m <= 300; m++)
        {
            // Even step: d_{2m} = m(b − m)x / ((a + 2m − 1)(a + 2m)); odd step: d_{2m+1} = −(a + m)(a + b + m)x / ((a + 2m)(a + 2m + 1)).
            double even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
            d = 1 + even * d; d = 1 / (Math.Abs(d) < tiny ? tiny : d);
            c = 1 + even / c; if (Math.Abs(c) < tiny) c = tiny;
            result *= d * c;
            double odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
            d = 1 + odd * d; d = 1 / (Math.Abs(d) < tiny ? tiny : d);
            c = 1 + odd / c; if (Math.Abs(c) < tiny) c = tiny;
            double factor = d * c;
            result *= factor;
            if (Math.Abs(factor - 1) < 1e-15) return result;
        }
        return result;
    }

    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    /// <summary>ln Γ(z) for z &gt; 0.</summary>
    public static double LogGamma(double z)
    {
        if (z < 0.5) return Math.Log(Math.PI / Math.Sin(Math.PI * z)) - LogGamma(1 - z); // reflection
        z -= 1;
        double sum = Lanczos[0];
        for (int i = 1; i < Lanczos.Length; i++) sum += Lanczos[i] / (z + i);
        double t = z + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (z + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}
