namespace Microsoft.ML.DeltaLoRA;

/// <summary>
/// Every setting of a fine-tuning run. Defaults are the paper's GLUE settings (Zi et al. 2023, arXiv 2309.02411) where it
/// gives one, and the usual Hugging Face fine-tuning defaults otherwise. <see cref="Validate"/> checks every value.
/// </summary>
public class FineTuningOptions
{
    /// <summary>Delta-LoRA (default), LoRA, or full fine-tuning.</summary>
    public FineTuningMethod Method { get; set; } = FineTuningMethod.DeltaLoRA;

    /// <summary>r, the rank of the adapters (LoRA and Delta-LoRA).</summary>
    public int Rank { get; set; } = 8;

    /// <summary>α; the low-rank branch is scaled by α/r (α/√r with <see cref="RankStabilized"/>).</summary>
    public double Alpha { get; set; } = 16;

    /// <summary>λ, the update ratio: how much of the adapters' change per step Delta-LoRA adds to W. 0 makes it plain LoRA.</summary>
    public double UpdateRatio { get; set; } = 0.5;

    /// <summary>K: W starts moving after optimizer step K. Null means the number of warmup steps, as in the paper's GLUE setting.</summary>
    public int? StartSteps { get; set; }

    /// <summary>
    /// Name suffixes of the linear layers that get adapters, matched at dot boundaries: a last segment (<c>query</c>, <c>value</c>,
    /// <c>key</c>, <c>q_lin</c>, <c>lin1</c>) or a dotted suffix for names that repeat (<c>attention.output.dense</c>,
    /// <c>intermediate.dense</c>). Null means the model's default targets (the attention query and value projections).
    /// </summary>
    public string[]? TargetModules { get; set; }

    /// <summary>rsLoRA: scale the low-rank branch by α/√r instead of α/r.</summary>
    public bool RankStabilized { get; set; }

    /// <summary>Peak learning rate of AdamW.</summary>
    public double LearningRate { get; set; } = 5e-4;

    public LearningRateSchedule Schedule { get; set; } = LearningRateSchedule.LinearWarmupLinearDecay;

    /// <summary>Fraction of the optimizer steps spent warming up (rounded up), unless <see cref="WarmupSteps"/> is set.</summary>
    public double WarmupRatio { get; set; } = 0.06;

    /// <summary>Number of warmup steps; overrides <see cref="WarmupRatio"/> when set.</summary>
    public int? WarmupSteps { get; set; }

    /// <summary>AdamW's decoupled weight decay.</summary>
    public double WeightDecay { get; set; } = 0.01;

    /// <summary>When false (default), biases and layer-norm weights get no weight decay, as in Hugging Face's Trainer.</summary>
    public bool DecayAllParameters { get; set; }

    /// <summary>Clip the global gradient norm to this value before each optimizer step; null disables clipping.</summary>
    public double? MaxGradientNorm { get; set; } = 1.0;

    /// <summary>Number of micro-batches whose gradients are summed into one optimizer step.</summary>
    public int GradientAccumulationSteps { get; set; } = 1;

    /// <summary>Sequences per micro-batch.</summary>
    public int BatchSize { get; set; } = 16;

    public int Epochs { get; set; } = 3;

    /// <summary>Total number of optimizer steps; overrides <see cref="Epochs"/> when set.</summary>
    public int? MaxSteps { get; set; }

    /// <summary>
    /// Longest tokenized input, special tokens included; longer inputs are truncated. At most the number of positions the
    /// model numbers (512 for BERT-style models, 128 for USE-Lite); Fit refuses more once the model is read.
    /// </summary>
    public int MaxSequenceLength { get; set; } = 128;

    /// <summary>
    /// When set, replaces every dropout probability of the model (hidden, attention, classifier). It takes effect when the model
    /// is built (<c>PretrainedModels.LoadSequenceClassifier</c>'s dropoutOverride), since attention dropout is fixed at construction.
    /// </summary>
    public double? DropoutOverride { get; set; }

    /// <summary>
    /// How a BERT classifier reads the token states (<see cref="SentencePooling"/>); null takes the model's own: the pooling a
    /// sentence-transformers model declares (MiniLM: mean, Arctic: [CLS]), else BERT's pooler. RoBERTa and DistilBERT heads read
    /// the first token; USE-Lite averages its tokens.
    /// </summary>
    public SentencePooling? Pooling { get; set; }

    /// <summary>
    /// How text pairs are read: one sequence (<see cref="SentencePairEncoding.CrossEncoder"/>, the default) or each text alone with
    /// a head on both sentence vectors (<see cref="SentencePairEncoding.BiEncoder"/>; needs a second text column).
    /// </summary>
    public SentencePairEncoding PairEncoding { get; set; }

    /// <summary>Seeds adapter initialisation, dropout and shuffling; the same seed gives the same weights on CPU.</summary>
    public int? Seed { get; set; }

    /// <summary>Batch sequences of similar length together (less padding, faster) while keeping the batch order random.</summary>
    public bool LengthBucketing { get; set; }

    /// <summary>A copy that later changes to this instance do not affect (the target list is copied too).</summary>
    public FineTuningOptions Clone()
    {
        var copy = (FineTuningOptions)MemberwiseClone();
        copy.TargetModules = TargetModules?.ToArray();
        return copy;
    }

    /// <summary>
    /// Checks every option. Throws one <see cref="ArgumentOutOfRangeException"/> whose message lists every invalid option (its
    /// allowed range and its value, one line each) and whose <c>ParamName</c> is the first of them.
    /// </summary>
    public void Validate() => OptionProblem.ThrowIfAny(Problems());

    /// <summary>Every invalid option, in declaration order; empty when all are valid.</summary>
    internal List<OptionProblem> Problems()
    {
        var problems = new List<OptionProblem>();
        CollectProblems(problems);
        return problems;
    }

    private protected virtual void CollectProblems(List<OptionProblem> problems)
    {
        var check = new OptionChecks(problems);
        check.Defined(Method, nameof(Method));
        check.AtLeast(Rank, 1, nameof(Rank));
        check.Positive(Alpha, nameof(Alpha));
        check.NonNegative(UpdateRatio, nameof(UpdateRatio));
        if (StartSteps is int k) check.AtLeast(k, 0, nameof(StartSteps));
        CheckTargetModules(problems);
        check.Positive(LearningRate, nameof(LearningRate));
        check.Defined(Schedule, nameof(Schedule));
        if (!(WarmupRatio >= 0 && WarmupRatio < 1)) problems.Add(new(nameof(WarmupRatio), WarmupRatio, "in [0, 1)"));
        if (WarmupSteps is int warmup) check.AtLeast(warmup, 0, nameof(WarmupSteps));
        check.NonNegative(WeightDecay, nameof(WeightDecay));
        if (MaxGradientNorm is double maxNorm) check.Positive(maxNorm, nameof(MaxGradientNorm), "positive and finite, or null for no clipping");
        check.AtLeast(GradientAccumulationSteps, 1, nameof(GradientAccumulationSteps));
        check.AtLeast(BatchSize, 1, nameof(BatchSize));
        check.AtLeast(Epochs, 1, nameof(Epochs));
        if (MaxSteps is int maxSteps) check.AtLeast(maxSteps, 1, nameof(MaxSteps));
        check.AtLeast(MaxSequenceLength, 2, nameof(MaxSequenceLength));
        if (Pooling is { } pooling) check.Defined(pooling, nameof(Pooling));
        check.Defined(PairEncoding, nameof(PairEncoding));
        if (DropoutOverride is double dropout && !(dropout >= 0 && dropout < 1))
            problems.Add(new(nameof(DropoutOverride), dropout, "in [0, 1), or null to keep the model's dropout"));
    }

    private void CheckTargetModules(List<OptionProblem> problems)
    {
        if (TargetModules is null) return;
        if (TargetModules.Length == 0)
            problems.Add(new(nameof(TargetModules), "an empty list", "null (the model's default targets) or at least one layer name"));
        foreach (var target in TargetModules)
        {
            if (string.IsNullOrWhiteSpace(target) || target.Split('.').Any(segment => segment.Length == 0 || segment.Any(char.IsWhiteSpace)))
                problems.Add(new(nameof(TargetModules), $"'{target}'",
                    "layer-name suffixes such as 'query', 'value' or 'attention.output.dense' (non-empty segments, no spaces)"));
        }
    }
}
