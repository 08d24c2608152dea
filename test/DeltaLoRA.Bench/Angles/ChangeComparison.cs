using DeltaLoRA.Bench.Spectrum;
using TorchSharp;
using static TorchSharp.torch;

namespace DeltaLoRA.Bench.Angles;

/// <summary>
/// How one matrix's change in a first run relates to its change in a second run (ΔW₁, ΔW₂, both n × m).
/// </summary>
/// <param name="Rows">n: the dimension of the space the column spaces live in.</param>
/// <param name="ColumnDimensions">The numerical ranks (p, q) of ΔW₁ and ΔW₂ (σ above <see cref="WeightChange.DefaultRelativeTolerance"/> × σ_1).</param>
/// <param name="ColumnAngles">The principal angles (degrees, smallest first) between the column spaces of ΔW₁ and ΔW₂.</param>
/// <param name="TopAngles">The principal angles between the top-<paramref name="TopRank"/> left singular subspaces of ΔW₁ and ΔW₂.</param>
/// <param name="LeadingAngle">The angle (degrees) between the leading left singular vectors of ΔW₁ and ΔW₂, the direction that
/// carries most of each change (a change whose stable rank is near 1 is mostly that one direction).</param>
/// <param name="FirstNorm">‖ΔW₁‖_F.</param>
/// <param name="SecondNorm">‖ΔW₂‖_F.</param>
/// <param name="Cosine">⟨ΔW₁, ΔW₂⟩_F / (‖ΔW₁‖_F·‖ΔW₂‖_F): 1 exactly when ΔW₁ is a positive multiple of ΔW₂.</param>
/// <param name="EnergyInSecond">‖P₂·ΔW₁‖²_F / ‖ΔW₁‖²_F, P₂ the projection on ΔW₂'s column space: the share of the first change that
/// lies in the second's directions, weighted by size (q/n expected for a random q-dimensional space).</param>
internal sealed record ChangeComparison(int Rows, (int First, int Second) ColumnDimensions, double[] ColumnAngles, int TopRank, double[] TopAngles,
    double LeadingAngle, double FirstNorm, double SecondNorm, double Cosine, double EnergyInSecond)
{
    public double NormRatio => FirstNorm / SecondNorm;

    public static ChangeComparison Between(LowRankChange first, LowRankChange second, int topRank)
    {
        using var scope = torch.NewDisposeScope();
        var delta1 = first.Product();
        var delta2 = second.Product();
        if (!delta1.shape.SequenceEqual(delta2.shape))
            throw new InvalidDataException($"The two changes have shapes [{string.Join(", ", delta1.shape)}] and [{string.Join(", ", delta2.shape)}]; they must be the same matrix.");
        double tolerance = WeightChange.DefaultRelativeTolerance;
        var columns1 = SubspaceAngles.ColumnBasis(delta1, tolerance);
        var columns2 = SubspaceAngles.ColumnBasis(delta2, tolerance);
        var top1 = SubspaceAngles.ColumnBasis(delta1, tolerance, topRank);
        var top2 = SubspaceAngles.ColumnBasis(delta2, tolerance, topRank);

        double norm1 = delta1.norm().item<double>();
        double norm2 = delta2.norm().item<double>();
        double inner = delta1.mul(delta2).sum().item<double>();
        double inSecond = columns2.t().matmul(delta1).square().sum().item<double>(); // ‖Q₂ᵀ·ΔW₁‖²_F = ‖Q₂·Q₂ᵀ·ΔW₁‖²_F
        return new ChangeComparison((int)delta1.shape[0], ((int)columns1.shape[1], (int)columns2.shape[1]),
            SubspaceAngles.Degrees(columns1, columns2), topRank, SubspaceAngles.Degrees(top1, top2),
            SubspaceAngles.Degrees(top1.narrow(1, 0, Math.Min(1, top1.shape[1])), top2.narrow(1, 0, Math.Min(1, top2.shape[1]))).DefaultIfEmpty(double.NaN).First(),
            norm1, norm2, norm1 == 0 || norm2 == 0 ? 0 : inner / (norm1 * norm2), norm1 == 0 ? 0 : inSecond / (norm1 * norm1));
    }
}
