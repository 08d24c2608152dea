using TorchSharp;
using static TorchSharp.torch;

namespace DeltaLoRA.Bench.Spectrum;

/// <summary>
/// The spectrum of one matrix's change during fine-tuning, ΔW = W_eff,T − W_0, in float64. By the telescoping sum, Delta-LoRA's
/// change is s·B_T·A_T + λ·s·(B_T·A_T − B_K·A_K), of rank at most 2r; LoRA's is s·B_T·A_T, of rank at most r; full fine-tuning's
/// has no such bound.
/// </summary>
internal sealed record WeightChange(IReadOnlyList<double> SingularValues)
{
    /// <summary>Singular values below this share of the largest count as zero (float32 rounding of W over a run is far below it).</summary>
    public const double DefaultRelativeTolerance = 1e-3;

    public static WeightChange Between(Float32Tensor pretrained, Float32Tensor fineTuned)
    {
        if (pretrained.Shape.Length != 2 || !pretrained.Shape.SequenceEqual(fineTuned.Shape))
            throw new ArgumentOutOfRangeException(nameof(fineTuned), $"[{string.Join(", ", fineTuned.Shape)}]",
                $"Both weights must be the same matrix shape; the pretrained one is [{string.Join(", ", pretrained.Shape)}].");
        using var scope = torch.NewDisposeScope();
        var w0 = torch.tensor(pretrained.Values, pretrained.Shape).to(ScalarType.Float64);
        var w1 = torch.tensor(fineTuned.Values, fineTuned.Shape).to(ScalarType.Float64);
        var values = torch.linalg.svdvals(w1 - w0).data<double>().ToArray();
        return new WeightChange(values);
    }

    public double Largest => SingularValues.Count == 0 ? 0 : SingularValues[0];

    /// <summary>‖ΔW‖_F = √Σσ².</summary>
    public double FrobeniusNorm => Math.Sqrt(SingularValues.Sum(s => s * s));

    /// <summary>‖ΔW‖_F² / ‖ΔW‖₂², the "effective rank" that ignores tiny singular values without a threshold.</summary>
    public double StableRank => Largest == 0 ? 0 : SingularValues.Sum(s => s * s) / (Largest * Largest);

    /// <summary>Singular values above <paramref name="relativeTolerance"/> × the largest.</summary>
    public int NumericalRank(double relativeTolerance = DefaultRelativeTolerance)
        => Largest == 0 ? 0 : SingularValues.Count(s => s > relativeTolerance * Largest);
}
