using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Modeling.Bert;

/// <summary>
/// BERT with a classification head (Hugging Face <c>BertForSequenceClassification</c>):
/// <c>classifier(dropout(bert.pooler(h)))</c>, parameters <c>bert.*</c> and <c>classifier.*</c>.
/// </summary>
public sealed class BertForSequenceClassification : SequenceClassifier, IPretrainedTaskModel
{
    private readonly Dropout dropout;

    public BertForSequenceClassification(EncoderConfig config, int numLabels) : base(nameof(BertForSequenceClassification))
    {
        if (numLabels < 1) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "A classifier needs at least one output.");
        Config = config;
        NumLabels = numLabels;
        Bert = new BertModel(config, addPoolingLayer: true);
        register_module("bert", Bert);
        dropout = Dropout(config.EffectiveClassifierDropout);
        register_module("dropout", dropout);
        Classifier = new LoRALinear(config.HiddenSize, numLabels);
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
    public override IReadOnlyList<string> HeadParameterPrefixes { get; } = ["bert.pooler.", "classifier."];
    public override IReadOnlyList<string> DefaultAdapterTargets { get; } = ["query", "value"];

    public override Tensor forward(EncoderBatch batch)
    {
        using var output = Bert.Encode(batch);
        return Classify(output);
    }

    public TaskOutput Run(EncoderBatch batch, bool outputHiddenStates = false)
    {
        var output = Bert.Encode(batch, outputHiddenStates);
        return new TaskOutput(Classify(output), output);
    }

    private Tensor Classify(EncoderOutput output)
    {
        using var dropped = dropout.forward(output.PoolerOutput!);
        return Classifier.forward(dropped);
    }
}
