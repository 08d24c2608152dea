using Microsoft.ML.DeltaLoRA.Modeling.Adapters;

namespace Microsoft.ML.DeltaLoRA.Training;

/// <summary>
/// What adapters to attach and where: rank r, α, rsLoRA scaling and the target layers (name suffixes such as <c>query</c> and
/// <c>value</c>; null: the model family's defaults). The layer itself is <see cref="LoRALinear"/>; <see cref="AdapterInjector"/> attaches them.
/// </summary>
internal sealed record AdapterConfig(int Rank, double Alpha, bool RankStabilized, IReadOnlyList<string>? TargetModules)
{
    /// <summary>α/r (α/√r with rsLoRA).</summary>
    public double Scaling => LoRALinear.ScalingOf(Rank, Alpha, RankStabilized);
}
