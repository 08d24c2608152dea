using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>
/// An encoder with a task head on top: token ids in, one row of logits (or one regression value) per sequence out.
/// Parameter names follow the family's Hugging Face checkpoints (for example <c>bert.encoder.layer.0.attention.self.query.weight</c>,
/// <c>classifier.weight</c>), so checkpoints load by name and reference trajectories compare by name.
/// Every linear layer an adapter may wrap is a <see cref="Adapters.LoRALinear"/>.
/// </summary>
internal abstract class SequenceClassifier : Module<EncoderBatch, Tensor>
{
    protected SequenceClassifier(string name) : base(name) { }

    public abstract ModelFamily Family { get; }

    /// <summary>
    /// The longest sequence, in tokens, that the encoder numbers positions for: <see cref="Checkpoints.EncoderConfig.MaxSequenceLength"/>
    /// for the Hugging Face families, <see cref="UseLite.UseLiteConfig.MaxPositions"/> for USE-Lite (whose graph would clip longer
    /// inputs). Fit refuses a longer MaxSequenceLength.
    /// </summary>
    public abstract int MaxSequenceLength { get; }

    /// <summary>Number of outputs of the task head (classes, or 1 for regression).</summary>
    public abstract int NumLabels { get; }

    /// <summary>
    /// Name prefixes of the task-head parameters, which train along with the adapters in LoRA and Delta-LoRA: the family's
    /// <see cref="ModelFamilyDescriptor.ClassifierHeadPrefixes"/> (BERT adds <c>bert.pooler.</c> when the head reads the pooler).
    /// </summary>
    public virtual IReadOnlyList<string> HeadParameterPrefixes => ModelFamilies.Of(Family).ClassifierHeadPrefixes;

    /// <summary>How the head reads the token states (the family's own head for RoBERTa and DistilBERT: the first token).</summary>
    public virtual SentencePooling Pooling => SentencePooling.ClsToken;

    /// <summary>How the classifier reads text pairs (<see cref="BiEncoderFeatures"/> for a bi-encoder).</summary>
    public virtual SentencePairEncoding PairEncoding => SentencePairEncoding.CrossEncoder;

    /// <summary>Last name segments of the layers adapted by default: the attention query and value projections (from the family's descriptor).</summary>
    public virtual IReadOnlyList<string> DefaultAdapterTargets => ModelFamilies.Of(Family).DefaultAdapterTargets;
}
