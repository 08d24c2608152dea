using TorchSharp;
using static TorchSharp.torch;

namespace DeltaLoRA.Bench.Angles;

/// <summary>
/// What "unrelated" looks like: the principal angles between uniformly random p- and q-dimensional subspaces of ℝⁿ, sampled
/// (the column space of an n × p Gaussian matrix is uniformly distributed; QR gives its orthonormal basis). In high dimension
/// they are large even for the closest pair of directions: their mean cos² is max(p, q)/n in expectation.
/// </summary>
internal static class RandomSubspaces
{
    public const int DefaultDraws = 200;

    /// <summary>The mean over <paramref name="draws"/> pairs of random subspaces of each <see cref="AngleSummary"/> figure.</summary>
    public static AngleSummary Sample(int n, int p, int q, int draws, long seed)
    {
        if (n < 1 || p < 1 || q < 1 || p > n || q > n || draws < 1)
            throw new ArgumentOutOfRangeException(nameof(n), $"n {n}, p {p}, q {q}, draws {draws}", "Random subspaces need 1 ≤ p, q ≤ n and at least one draw.");
        using var scope = torch.NewDisposeScope();
        using var generator = new torch.Generator((ulong)seed);
        var summaries = new List<AngleSummary>(draws);
        for (int i = 0; i < draws; i++)
        {
            using var draw = torch.NewDisposeScope();
            var (basis1, _) = torch.linalg.qr(torch.randn([n, p], ScalarType.Float64, generator: generator));
            var (basis2, _) = torch.linalg.qr(torch.randn([n, q], ScalarType.Float64, generator: generator));
            summaries.Add(AngleSummary.Of(SubspaceAngles.Degrees(basis1, basis2)));
        }
        return AngleSummary.Mean(summaries);
    }
}
