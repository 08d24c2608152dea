using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Modeling.DistilBert;

/// <summary>
/// DistilBERT with a classification head (Hugging Face <c>DistilBertForSequenceClassification</c>):
/// classifier(dropout(ReLU(pre_classifier(h[:, 0])))), with <c>seq_classif_dropout</c>.
/// </summary>
internal sealed class DistilBertForSequenceClassification : SequenceClassifier, IPretrainedTaskModel
{
    private readonly Dropout dropout;

    public DistilBertForSequenceClassification(EncoderConfig config, int numLabels) : base(nameof(DistilBertForSequenceClassification))
    {
        if (numLabels < 1) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "A classifier needs at least one output.");
        Config = config;
        NumLabels = numLabels;
        DistilBert = new DistilBertModel(config);
        register_module("distilbert", DistilBert);
        PreClassifier = new LoRALinear(config.HiddenSize, config.HiddenSize);
        register_module("pre_classifier", PreClassifier);
        Classifier = new LoRALinear(config.HiddenSize, numLabels);
        register_module("classifier", Classifier);
        dropout = Dropout(config.EffectiveClassifierDropout);
        register_module("dropout", dropout);
        HuggingFaceInitializer.Apply(PreClassifier, config);
        HuggingFaceInitializer.Apply(Classifier, config);
    }

    protected override void RegisterComponents() { }

    public EncoderConfig Config { get; }
    public DistilBertModel DistilBert { get; }
    public LoRALinear PreClassifier { get; }
    public LoRALinear Classifier { get; }
    public PretrainedEncoder Encoder => DistilBert;

    public override ModelFamily Family => ModelFamily.DistilBert;
    public override int NumLabels { get; }
    public override int MaxSequenceLength => Config.MaxSequenceLength;

    public override Tensor forward(EncoderBatch batch)
    {
        using var hidden = DistilBert.forward(batch);
        return Classify(hidden);
    }

    public TaskOutput Run(EncoderBatch batch, bool outputHiddenStates = false)
    {
        var output = DistilBert.Encode(batch, outputHiddenStates);
        return new TaskOutput(Classify(output.LastHiddenState), output);
    }

    private Tensor Classify(Tensor lastHiddenState)
    {
        using var first = lastHiddenState.select(1, 0);
        using var projected = PreClassifier.forward(first);
        using var activated = functional.relu(projected);
        using var dropped = dropout.forward(activated);
        return Classifier.forward(dropped);
    }
}
