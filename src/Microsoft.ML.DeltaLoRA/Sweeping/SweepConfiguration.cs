namespace Microsoft.ML.DeltaLoRA.Sweeping;

/// <summary>
/// One point of the <see cref="DeltaLoRASearchSpace"/>. Successive halving trains it at growing budgets (rungs), each a trial.
/// λ and K matter to Delta-LoRA only, the rank to the adapter methods only.
/// </summary>
/// <param name="Id">1-based, in the order the configurations were drawn.</param>
/// <param name="Method">Delta-LoRA, LoRA or full fine-tuning.</param>
/// <param name="LearningRate">Peak learning rate.</param>
/// <param name="Rank">Adapter rank r.</param>
/// <param name="UpdateRatio">Delta-LoRA's λ.</param>
/// <param name="StartStepsFraction">K as a share of a trial's optimizer steps.</param>
/// <param name="Epochs">Epochs of the full budget.</param>
public sealed record SweepConfiguration(int Id, FineTuningMethod Method, double LearningRate, int Rank, double UpdateRatio,
    double StartStepsFraction, int Epochs)
{
    /// <summary>The values that matter to <see cref="Method"/>, for logs: "DeltaLoRA lr 1.2e-3 r 8 λ 0.50 K 6% 2 epochs".</summary>
    public override string ToString() => Method switch
    {
        FineTuningMethod.DeltaLoRA => FormattableString.Invariant($"{Method} lr {LearningRate:0.0e+0} r {Rank} λ {UpdateRatio:0.00} K {StartStepsFraction:0%} {Epochs} epoch(s)"),
        FineTuningMethod.LoRA => FormattableString.Invariant($"{Method} lr {LearningRate:0.0e+0} r {Rank} {Epochs} epoch(s)"),
        _ => FormattableString.Invariant($"{Method} lr {LearningRate:0.0e+0} {Epochs} epoch(s)"),
    };
}
