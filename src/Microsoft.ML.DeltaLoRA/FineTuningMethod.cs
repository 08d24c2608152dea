namespace Microsoft.ML.DeltaLoRA;

/// <summary>How the pretrained weights are adapted to the task.</summary>
public enum FineTuningMethod
{
    /// <summary>
    /// LoRA adapters plus the Delta-LoRA rule (Zi et al. 2023): after each optimizer step s &gt; K the frozen W also moves by
    /// λ·(α/r)·(B_s·A_s − B_{s−1}·A_{s−1}), at no extra memory and no gradient for W.
    /// </summary>
    DeltaLoRA,

    /// <summary>Low-rank adapters on the target layers; W stays frozen (Delta-LoRA with λ = 0).</summary>
    LoRA,

    /// <summary>Every parameter is trained; no adapters.</summary>
    Full,
}
