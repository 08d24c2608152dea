using TorchSharp;
using static TorchSharp.torch;

namespace DeltaLoRA.Bench.Angles;

/// <summary>
/// Principal angles between column spaces. With orthonormal bases Q1 (n × p) and Q2 (n × q), the cosines of the min(p, q)
/// principal angles are the singular values of Q1ᵀ·Q2 (Björck and Golub, 1973): 0° where the spaces share a direction,
/// 90° where a direction of the smaller space is orthogonal to all of the larger. They depend on the spaces only, not on the
/// bases chosen.
/// </summary>
internal static class SubspaceAngles
{
    /// <summary>
    /// An orthonormal basis (n × d) of the column space of <paramref name="matrix"/> (n × m): its left singular vectors whose
    /// singular value exceeds <paramref name="relativeTolerance"/> × the largest (the spectrum's numerical rank), largest first,
    /// at most <paramref name="top"/> of them when given. A zero matrix has an empty basis (n × 0).
    /// </summary>
    public static Tensor ColumnBasis(Tensor matrix, double relativeTolerance, int? top = null)
    {
        if (matrix.ndim != 2) throw new ArgumentOutOfRangeException(nameof(matrix), $"[{string.Join(", ", matrix.shape)}]", "The column space needs a matrix.");
        var (u, s, _) = torch.linalg.svd(matrix.to(ScalarType.Float64), fullMatrices: false);
        var values = s.data<double>().ToArray();
        double largest = values.Length == 0 ? 0 : values[0];
        int dimension = largest == 0 ? 0 : values.Count(v => v > relativeTolerance * largest);
        if (top is int limit) dimension = Math.Min(dimension, limit);
        return u.narrow(1, 0, dimension);
    }

    /// <summary>The principal angles in degrees, smallest first, between the spans of two orthonormal bases with n rows each.</summary>
    public static double[] Degrees(Tensor basis1, Tensor basis2)
    {
        if (basis1.ndim != 2 || basis2.ndim != 2 || basis1.shape[0] != basis2.shape[0])
            throw new ArgumentOutOfRangeException(nameof(basis2), $"[{string.Join(", ", basis2.shape)}]",
                $"Both bases must have the same number of rows; the first is [{string.Join(", ", basis1.shape)}].");
        if (basis1.shape[1] == 0 || basis2.shape[1] == 0) return [];
        using var scope = torch.NewDisposeScope();
        var cosines = torch.linalg.svdvals(basis1.to(ScalarType.Float64).t().matmul(basis2.to(ScalarType.Float64))).data<double>().ToArray();
        // Singular values come largest first, so the angles come smallest first; rounding can put a cosine a hair above 1.
        return cosines.Select(c => Math.Acos(Math.Clamp(c, 0, 1)) * 180 / Math.PI).ToArray();
    }

    /// <summary>
    /// The mean of cos² over the principal angles, ‖Q1ᵀ·Q2‖²_F / min(p, q): 1 when the smaller space lies inside the larger,
    /// 0 when they are orthogonal; for uniformly random spaces its expectation is max(p, q) / n.
    /// </summary>
    public static double MeanSquaredCosine(IReadOnlyList<double> degrees)
        => degrees.Count == 0 ? 0 : degrees.Average(d => Math.Pow(Math.Cos(d * Math.PI / 180), 2));

    /// <summary>The expected <see cref="MeanSquaredCosine"/> of uniformly random p- and q-dimensional subspaces of ℝⁿ: E‖Q1ᵀQ2‖²_F = pq/n.</summary>
    public static double RandomMeanSquaredCosine(int n, int p, int q) => Math.Min(p, q) == 0 ? 0 : (double)Math.Max(p, q) / n;
}
