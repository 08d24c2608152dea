// PLACEHOLDER for the mlnet branch only: the engine branch owns FineTuningOptions (and FineTuningMethod, LearningRateSchedule).
// The lead deletes this file at merge. Code in the ML.NET layer uses only the member names below.
namespace Microsoft.ML.DeltaLoRA;

public enum FineTuningMethod
{
    DeltaLoRA,
    LoRA,
    Full,
}

public enum LearningRateSchedule
{
    Linear,
    Constant,
}

public class FineTuningOptions
{
    public FineTuningMethod Method = FineTuningMethod.DeltaLoRA;
    public int Rank = 8;
    public float Alpha = 16;
    public float UpdateRatio = 0.5f;
    public int StartSteps = 500;
    public string[]? TargetModules;
    public bool RankStabilized;
    public double LearningRate = 2e-5;
    public LearningRateSchedule Schedule = LearningRateSchedule.Linear;
    public float WarmupRatio = 0.06f;
    public int WarmupSteps;
    public double WeightDecay = 0.01;
    public bool DecayAllParameters;
    public float MaxGradientNorm = 1;
    public int GradientAccumulationSteps = 1;
    public int BatchSize = 32;
    public int Epochs = 3;
    public int MaxSteps;
    public int MaxSequenceLength = 128;
    public float? DropoutOverride;
    public int? Seed;
    public bool LengthBucketing = true;

    public virtual void Validate()
    {
        if (Rank < 1) throw new ArgumentOutOfRangeException(nameof(Rank), Rank, "Rank must be at least 1.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 1.");
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be at least 1.");
    }
}
