using Microsoft.ML.DeltaLoRA.Checkpoints;
using static TorchSharp.torch;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Modeling.Roberta;

/// <summary>
/// RoBERTa with a classification head (Hugging Face <c>RobertaForSequenceClassification</c>): no pooler;
/// parameters <c>roberta.*</c> and <c>classifier.dense.*</c>, <c>classifier.out_proj.*</c>.
/// </summary>
internal sealed class RobertaForSequenceClassification : SequenceClassifier, IPretrainedTaskModel
{
    public RobertaForSequenceClassification(EncoderConfig config, int numLabels) : base(nameof(RobertaForSequenceClassification))
    {
        if (numLabels < 1) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "A classifier needs at least one output.");
        Config = config;
        NumLabels = numLabels;
        Roberta = new RobertaModel(config, addPoolingLayer: false);
        register_module("roberta", Roberta);
        Classifier = new RobertaClassificationHead(config, numLabels);
        register_module("classifier", Classifier);
        HuggingFaceInitializer.Apply(Classifier, config);
    }

    protected override void RegisterComponents() { }

    public EncoderConfig Config { get; }
    public RobertaModel Roberta { get; }
    public RobertaClassificationHead Classifier { get; }
    public PretrainedEncoder Encoder => Roberta;

    public override ModelFamily Family => ModelFamily.Roberta;
    public override int NumLabels { get; }
    public override int MaxSequenceLength => Config.MaxSequenceLength;

    public override Tensor forward(EncoderBatch batch)
    {
        using var hidden = Roberta.forward(batch);
        return Classifier.forward(hidden);
    }

    public TaskOutput Run(EncoderBatch batch, bool outputHiddenStates = false)
    {
        var output = Roberta.Encode(batch, outputHiddenStates);
        return new TaskOutput(Classifier.forward(output.LastHiddenState), output);
    }
}
