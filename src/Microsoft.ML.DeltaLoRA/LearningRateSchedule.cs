namespace Microsoft.ML.DeltaLoRA;

/// <summary>How the learning rate changes over the optimizer steps.</summary>
public enum LearningRateSchedule
{
    /// <summary>Linear warmup from 0 to the learning rate, then linear decay towards 0 at the last step (the paper's GLUE setting).</summary>
    LinearWarmupLinearDecay,

    /// <summary>Linear warmup from 0 to the learning rate, then constant.</summary>
    LinearWarmupConstant,

    /// <summary>The learning rate at every step; warmup settings are ignored.</summary>
    Constant,
}
