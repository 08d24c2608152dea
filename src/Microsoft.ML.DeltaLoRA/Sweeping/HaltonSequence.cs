namespace Microsoft.ML.DeltaLoRA.Sweeping;

/// <summary>
/// Quasi-random points in the unit cube: the Halton sequence (one prime base per dimension), shifted modulo 1 by a random
/// vector drawn from the seed (a Cranley–Patterson rotation), so that each seed gives a different, equally even sequence.
/// </summary>
internal sealed class HaltonSequence
{
    private static readonly int[] Primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29];
    private readonly double[] _shifts;

    public HaltonSequence(int dimensions, int seed)
    {
        if (dimensions < 1 || dimensions > Primes.Length)
            throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions, $"A Halton sequence here has 1 to {Primes.Length} dimensions.");
        var random = new Random(seed);
        _shifts = Enumerable.Range(0, dimensions).Select(_ => random.NextDouble()).ToArray();
    }

    /// <summary>The point at <paramref name="index"/> (1-based), each coordinate in [0, 1).</summary>
    public double[] Point(int index)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(index, 1);
        var point = new double[_shifts.Length];
        for (int d = 0; d < point.Length; d++)
        {
            double shifted = RadicalInverse(index, Primes[d]) + _shifts[d];
            point[d] = shifted - Math.Floor(shifted);
        }
        return point;
    }

    /// <summary>The digits of <paramref name="index"/> in base <paramref name="radix"/>, mirrored after the radix point.</summary>
    internal static double RadicalInverse(int index, int radix)
    {
        double result = 0, scale = 1.0 / radix;
        for (int rest = index; rest > 0; rest /= radix, scale /= radix)
            result += rest % radix * scale;
        return result;
    }
}
