namespace Microsoft.ML.DeltaLoRA.Training;

/// <summary>
/// What adapters to attach and where: rank r, α, rsLoRA scaling and the target layers (last name segments such as
/// <c>query</c> and <c>value</c>). The layer itself is <see cref="Modeling.Adapters.LoRALinear"/>; <see cref="AdapterInjector"/> attaches them.
/// </summary>
public sealed record AdapterConfig(int Rank, double Alpha, bool RankStabilized, IReadOnlyList<string> TargetModules)
{
    /// <summary>The adapter settings of <paramref name="options"/>, with the model's default targets when none are given.</summary>
    public static AdapterConfig From(FineTuningOptions options, IReadOnlyList<string> defaultTargets)
        => new(options.Rank, options.Alpha, options.RankStabilized, options.TargetModules ?? defaultTargets);
}
