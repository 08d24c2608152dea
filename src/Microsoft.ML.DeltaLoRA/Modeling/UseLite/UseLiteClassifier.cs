using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Modeling.UseLite;

/// <summary>
/// USE-Lite with a task head: the encoder's 512-d sentence vector, optional dropout, and a fresh <c>classifier</c>
/// (<see cref="LoRALinear"/> 512→NumLabels). Parameters are named <c>encoder.…</c> (for example
/// <c>encoder.layer.0.attention.query.weight</c>) and <c>classifier.weight</c> / <c>classifier.bias</c>.
/// </summary>
internal sealed class UseLiteClassifier : SequenceClassifier
{
    private readonly double dropoutProbability;

#pragma warning disable IDE1006
    public readonly UseLiteEncoder encoder;
    public readonly LoRALinear classifier;
#pragma warning restore IDE1006

    /// <param name="encoder">The encoder; the classifier owns it from now on.</param>
    /// <param name="numLabels">Classes, or 1 for regression.</param>
    /// <param name="classifierDropout">Dropout on the sentence vector in training mode; the USE-Lite graph itself has none.</param>
    /// <param name="pairEncoding">How text pairs are read; a bi-encoder's classifier reads [u, v, |u−v|, u⊙v].</param>
    public UseLiteClassifier(UseLiteEncoder encoder, int numLabels, double classifierDropout = 0.0,
        SentencePairEncoding pairEncoding = SentencePairEncoding.CrossEncoder) : base(nameof(UseLiteClassifier))
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (numLabels < 1) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "numLabels must be at least 1.");
        if (classifierDropout is < 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(classifierDropout), classifierDropout, "classifierDropout must be in [0, 1).");
        NumLabels = numLabels;
        PairEncoding = pairEncoding;
        dropoutProbability = classifierDropout;
        this.encoder = encoder;
        classifier = new LoRALinear(BiEncoderFeatures.InputSize(encoder.OutputSize, pairEncoding), numLabels);
        register_module(nameof(this.encoder), this.encoder);
        register_module(nameof(classifier), classifier);
    }

    /// <summary>The pretrained encoder from a USE-Lite model folder (<c>use-lite</c> in the model cache, <see cref="NamedModels.UseLite"/>) with a fresh head.</summary>
    public static UseLiteClassifier FromPretrained(string modelDirectory, int numLabels, double classifierDropout = 0.0,
        SentencePairEncoding pairEncoding = SentencePairEncoding.CrossEncoder)
        => new(UseLiteEncoder.FromPretrained(modelDirectory), numLabels, classifierDropout, pairEncoding);

    public override ModelFamily Family => ModelFamily.UseLite;

    public override int NumLabels { get; }
    public override int MaxSequenceLength => encoder.Config.MaxPositions;

    /// <summary>USE-Lite's encoder itself averages the token states into its sentence vector.</summary>
    public override SentencePooling Pooling => SentencePooling.MeanOfTokens;

    public override SentencePairEncoding PairEncoding { get; }

    public override Tensor forward(EncoderBatch batch)
    {
        using var scope = NewDisposeScope();
        var sentence = BiEncoderFeatures.Combine(encoder.forward(batch), batch, PairEncoding);
        if (training && dropoutProbability > 0) sentence = functional.dropout(sentence, dropoutProbability, training: true);
        return classifier.forward(sentence).MoveToOuterDisposeScope();
    }
}
