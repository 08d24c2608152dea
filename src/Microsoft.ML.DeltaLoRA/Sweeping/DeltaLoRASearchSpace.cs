using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Sweeping;

/// <summary>
/// What <see cref="DeltaLoRAExperiment"/> samples: the learning rate (log scale, one range for the adapter methods and one for
/// full fine-tuning, which needs smaller steps), the adapter rank, λ, K (as a share of a trial's optimizer steps, so that it
/// means the same at every budget), the epochs and the method. A dimension is fixed by giving it one value.
/// <see cref="ForModelFamily"/> gives the defaults of a model family.
/// </summary>
public sealed class DeltaLoRASearchSpace
{
    /// <summary>Peak learning rate of LoRA and Delta-LoRA trials.</summary>
    public LogUniformRange AdapterLearningRate { get; set; } = new(5e-5, 2e-3);

    /// <summary>Peak learning rate of full fine-tuning trials.</summary>
    public LogUniformRange FullLearningRate { get; set; } = new(5e-6, 2e-4);

    /// <summary>Adapter ranks to choose from (α follows the rank: α/r stays that of the base options).</summary>
    public int[] Ranks { get; set; } = [4, 8, 16];

    /// <summary>λ of Delta-LoRA trials.</summary>
    public UniformRange UpdateRatio { get; set; } = new(0.25, 1.0);

    /// <summary>K of Delta-LoRA trials, as a share of the trial's optimizer steps (the paper's GLUE setting, K = warmup, is 0.06).</summary>
    public UniformRange StartStepsFraction { get; set; } = new(0.0, 0.25);

    /// <summary>Epochs of a configuration's full budget (successive halving trains lower rungs for a share of its steps).</summary>
    public IntegerRange Epochs { get; set; } = new(1, 3);

    public FineTuningMethod[] Methods { get; set; } = [FineTuningMethod.DeltaLoRA, FineTuningMethod.LoRA, FineTuningMethod.Full];

    /// <summary>
    /// Defaults for a model family. USE-Lite gets ten times larger learning rates than the BERT family: its sentence vector is
    /// L2-normalised, so a fresh head on it needs large weights (our GLUE study chose 1e-3 to 3e-3 for its adapters, 1e-4 to
    /// 3e-4 for full fine-tuning). BERT, RoBERTa and DistilBERT get the usual ranges around LoRA's 4e-4 to 5e-4 (Hu et al. 2021)
    /// and full fine-tuning's 2e-5 to 5e-5.
    /// </summary>
    internal static DeltaLoRASearchSpace ForModelFamily(ModelFamily family) => family == ModelFamily.UseLite
        ? new DeltaLoRASearchSpace { AdapterLearningRate = new(3e-4, 2e-2), FullLearningRate = new(3e-5, 2e-3) }
        : new DeltaLoRASearchSpace();

    /// <summary>The defaults for the family of the model in <paramref name="modelPath"/> (null: the default model, MiniLM).</summary>
    public static DeltaLoRASearchSpace ForModel(string? modelPath) => ForModelFamily(TextClassificationModel.FamilyOf(modelPath));

    /// <summary>The learning-rate range of <paramref name="method"/>.</summary>
    public LogUniformRange LearningRateFor(FineTuningMethod method) => method == FineTuningMethod.Full ? FullLearningRate : AdapterLearningRate;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid dimension.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(AdapterLearningRate, nameof(AdapterLearningRate));
        ArgumentNullException.ThrowIfNull(FullLearningRate, nameof(FullLearningRate));
        ArgumentNullException.ThrowIfNull(UpdateRatio, nameof(UpdateRatio));
        ArgumentNullException.ThrowIfNull(StartStepsFraction, nameof(StartStepsFraction));
        ArgumentNullException.ThrowIfNull(Epochs, nameof(Epochs));
        AdapterLearningRate.Validate(nameof(AdapterLearningRate));
        FullLearningRate.Validate(nameof(FullLearningRate));
        if (Ranks is null || Ranks.Length == 0 || Ranks.Any(r => r < 1))
            throw new ArgumentOutOfRangeException(nameof(Ranks), Ranks is null ? "null" : string.Join(", ", Ranks), $"{nameof(Ranks)} must list at least one rank, each at least 1.");
        UpdateRatio.Validate(nameof(UpdateRatio), 0, double.MaxValue);
        StartStepsFraction.Validate(nameof(StartStepsFraction), 0, 1);
        Epochs.Validate(nameof(Epochs), 1);
        if (Methods is null || Methods.Length == 0 || Methods.Any(m => !Enum.IsDefined(m)))
            throw new ArgumentOutOfRangeException(nameof(Methods), Methods is null ? "null" : string.Join(", ", Methods),
                $"{nameof(Methods)} must list at least one of {string.Join(", ", Enum.GetNames<FineTuningMethod>())}.");
    }
}
