using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Modeling.Bert;

/// <summary>
/// BERT with a classification head (Hugging Face <c>BertForSequenceClassification</c>):
/// <c>classifier(dropout(pool(h)))</c>, parameters <c>bert.*</c> and <c>classifier.*</c>. <c>pool</c> is BERT's pooler by default, as in
/// transformers; with <see cref="SentencePooling.ClsToken"/> or <see cref="SentencePooling.MeanOfTokens"/> the model has no pooler.
/// As a bi-encoder (<see cref="SentencePairEncoding.BiEncoder"/>) the classifier reads [u, v, |u−v|, u⊙v] of the two texts' pooled vectors.
/// </summary>
internal sealed class BertForSequenceClassification : SequenceClassifier, IPretrainedTaskModel
{
    private readonly Dropout dropout;

    public BertForSequenceClassification(EncoderConfig config, int numLabels, SentencePooling pooling = SentencePooling.Pooler,
        SentencePairEncoding pairEncoding = SentencePairEncoding.CrossEncoder)
        : base(nameof(BertForSequenceClassification))
    {
        if (numLabels < 1) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "A classifier needs at least one output.");
        Config = config;
        NumLabels = numLabels;
        Pooling = pooling;
        PairEncoding = pairEncoding;
        HeadParameterPrefixes = pooling == SentencePooling.Pooler ? ["bert.pooler.", .. ModelFamilies.Bert.ClassifierHeadPrefixes] : ModelFamilies.Bert.ClassifierHeadPrefixes;
        Bert = new BertModel(config, addPoolingLayer: pooling == SentencePooling.Pooler);
        register_module("bert", Bert);
        dropout = Dropout(config.EffectiveClassifierDropout);
        register_module("dropout", dropout);
        Classifier = new LoRALinear(BiEncoderFeatures.InputSize(config.HiddenSize, pairEncoding), numLabels);
        register_module("classifier", Classifier);
        HuggingFaceInitializer.Apply(Classifier, config);
    }

    protected override void RegisterComponents() { }

    public EncoderConfig Config { get; }
    public BertModel Bert { get; }
    public LoRALinear Classifier { get; }
    public PretrainedEncoder Encoder => Bert;

    public override ModelFamily Family => ModelFamily.Bert;
    public override int NumLabels { get; }
    public override int MaxSequenceLength => Config.MaxSequenceLength;
    public override SentencePooling Pooling { get; }
    public override SentencePairEncoding PairEncoding { get; }
    public override IReadOnlyList<string> HeadParameterPrefixes { get; }

    public override Tensor forward(EncoderBatch batch)
    {
        using var output = Bert.Encode(batch);
        return Classify(output, batch);
    }

    public TaskOutput Run(EncoderBatch batch, bool outputHiddenStates = false)
    {
        var output = Bert.Encode(batch, outputHiddenStates);
        return new TaskOutput(Classify(output, batch), output);
    }

    private Tensor Classify(EncoderOutput output, EncoderBatch batch)
    {
        using var scope = NewDisposeScope();
        var pooled = Pooling switch
        {
            SentencePooling.Pooler => output.PoolerOutput!.alias(),
            SentencePooling.ClsToken => output.LastHiddenState.select(1, 0),
            _ => TokenPooling.Mean(output.LastHiddenState, batch.AttentionMask),
        };
        return Classifier.forward(dropout.forward(BiEncoderFeatures.Combine(pooled, batch, PairEncoding))).MoveToOuterDisposeScope();
    }
}
