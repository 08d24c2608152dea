using DeltaLoRA.Bench.Spectrum;
using TorchSharp;
using static TorchSharp.torch;

namespace DeltaLoRA.Bench.Angles;

/// <summary>
/// One adapted matrix's change during fine-tuning as the saved model records it: ΔW = W_T − W_0 = Left·Right, Left out × k,
/// Right k × in (k = r for LoRA, up to 2r for Delta-LoRA, whose telescoped updates add [−λ·s·B_K] and [A_K]).
/// </summary>
internal sealed record LowRankChange(Float32Tensor Left, Float32Tensor Right)
{
    /// <summary>ΔW = Left·Right in float64 (out × in), in the caller's dispose scope.</summary>
    public Tensor Product()
    {
        var left = torch.tensor(Left.Values, Left.Shape).to(ScalarType.Float64);
        var right = torch.tensor(Right.Values, Right.Shape).to(ScalarType.Float64);
        return left.matmul(right);
    }
}
