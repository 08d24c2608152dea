namespace Microsoft.ML.DeltaLoRA.Training;

/// <summary>
/// The settings of one fine-tuning run, as the engine reads them: made once from validated <see cref="FineTuningOptions"/>
/// (<see cref="From"/>) and immutable afterwards, so that changing the options object cannot change a run in progress.
/// The meaning of each member is documented on the option of the same name.
/// </summary>
internal sealed record FineTuningSettings
{
    public FineTuningMethod Method { get; init; }

    /// <summary>The adapters of LoRA and Delta-LoRA; null for full fine-tuning.</summary>
    public AdapterConfig? Adapters { get; init; }

    /// <summary>λ; 0 for LoRA and full fine-tuning (W never moves by the Delta-LoRA rule).</summary>
    public double UpdateRatio { get; init; }

    /// <summary>K; null means the warmup steps.</summary>
    public int? StartSteps { get; init; }

    public double LearningRate { get; init; }
    public LearningRateSchedule Schedule { get; init; }
    public double WarmupRatio { get; init; }
    public int? WarmupSteps { get; init; }
    public double WeightDecay { get; init; }
    public bool DecayAllParameters { get; init; }
    public double? MaxGradientNorm { get; init; }
    public int GradientAccumulationSteps { get; init; }
    public int BatchSize { get; init; }
    public int Epochs { get; init; }
    public int? MaxSteps { get; init; }
    public int MaxSequenceLength { get; init; }
    public double? DropoutOverride { get; init; }
    public SentencePooling? Pooling { get; init; }
    public SentencePairEncoding PairEncoding { get; init; }
    public int? Seed { get; init; }
    public bool LengthBucketing { get; init; }

    /// <summary>Validates <paramref name="options"/> (see <see cref="FineTuningOptions.Validate"/>) and takes its values.</summary>
    public static FineTuningSettings From(FineTuningOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return FromValid(options);
    }

    /// <summary>Takes the values of options that were already validated.</summary>
    internal static FineTuningSettings FromValid(FineTuningOptions options) => new()
    {
        Method = options.Method,
        Adapters = options.Method == FineTuningMethod.Full
            ? null
            : new AdapterConfig(options.Rank, options.Alpha, options.RankStabilized, options.TargetModules?.ToArray()),
        UpdateRatio = options.Method == FineTuningMethod.DeltaLoRA ? options.UpdateRatio : 0,
        StartSteps = options.StartSteps,
        LearningRate = options.LearningRate,
        Schedule = options.Schedule,
        WarmupRatio = options.WarmupRatio,
        WarmupSteps = options.WarmupSteps,
        WeightDecay = options.WeightDecay,
        DecayAllParameters = options.DecayAllParameters,
        MaxGradientNorm = options.MaxGradientNorm,
        GradientAccumulationSteps = options.GradientAccumulationSteps,
        BatchSize = options.BatchSize,
        Epochs = options.Epochs,
        MaxSteps = options.MaxSteps,
        MaxSequenceLength = options.MaxSequenceLength,
        DropoutOverride = options.DropoutOverride,
        Pooling = options.Pooling,
        PairEncoding = options.PairEncoding,
        Seed = options.Seed,
        LengthBucketing = options.LengthBucketing,
    };
}
