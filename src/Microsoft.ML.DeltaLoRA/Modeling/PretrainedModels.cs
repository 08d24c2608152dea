using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Bert;
using Microsoft.ML.DeltaLoRA.Modeling.DistilBert;
using Microsoft.ML.DeltaLoRA.Modeling.Roberta;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>
/// Builds BERT, RoBERTa and DistilBERT models from a Hugging Face folder (<c>config.json</c> plus <c>model.safetensors</c>,
/// a sharded index, or <c>pytorch_model.bin</c>) or from a config alone (freshly initialised, to load saved weights into).
/// Loaded models are returned in evaluation mode; call <c>train()</c> to fine-tune.
/// </summary>
internal static class PretrainedModels
{
    /// <summary>
    /// An encoder with a classification head of <paramref name="numLabels"/> outputs. The head is loaded from the checkpoint
    /// when it has one of that size, and freshly initialised otherwise (as transformers does).
    /// <paramref name="dropoutOverride"/>, when given, replaces every dropout probability of the config (hidden, attention, classifier).
    /// <paramref name="pooling"/> is how the head reads the token states (BERT only; null: BERT's pooler, the families' first token);
    /// <paramref name="pairEncoding"/> how it reads text pairs (a bi-encoder: BERT only).
    /// </summary>
    public static SequenceClassifier LoadSequenceClassifier(string folder, int numLabels, double? dropoutOverride = null, Device? device = null,
        SentencePooling? pooling = null, SentencePairEncoding pairEncoding = SentencePairEncoding.CrossEncoder)
        => LoadSequenceClassifier(EncoderConfig.Load(folder), folder, numLabels, dropoutOverride, device, pooling, pairEncoding).Model;

    /// <summary>As <see cref="LoadSequenceClassifier(string, int, double?, Device?, SentencePooling?, SentencePairEncoding)"/> with a
    /// config already read; the report says which head tensors were freshly initialised.</summary>
    public static (SequenceClassifier Model, TensorCopyReport Report) LoadSequenceClassifier(EncoderConfig config, string folder, int numLabels,
        double? dropoutOverride, Device? device, SentencePooling? pooling, SentencePairEncoding pairEncoding = SentencePairEncoding.CrossEncoder)
    {
        using var weights = CheckpointWeights.Read(folder);
        return FromWeights(CreateSequenceClassifier(config, numLabels, dropoutOverride, pooling, pairEncoding), config, weights, device);
    }

    /// <summary>A freshly initialised classifier for <paramref name="config"/> (Hugging Face initialisation), on the CPU.</summary>
    public static SequenceClassifier CreateSequenceClassifier(EncoderConfig config, int numLabels, double? dropoutOverride = null,
        SentencePooling? pooling = null, SentencePairEncoding pairEncoding = SentencePairEncoding.CrossEncoder)
    {
        ArgumentNullException.ThrowIfNull(config);
        var effective = WithDropout(config, dropoutOverride).WithNumLabels(numLabels);
        if (!ModelFamilies.Of(config.Family).ChoosesPooling && pooling is { } chosen && chosen != SentencePooling.ClsToken)
            throw new ArgumentOutOfRangeException(nameof(pooling), chosen,
                $"Pooling {chosen} is available for BERT models only; the {config.Family} head reads the first token (ClsToken).");
        RequirePairEncoding(config.Family, pairEncoding);
        return config.Family switch
        {
            ModelFamily.Bert => new BertForSequenceClassification(effective, numLabels, pooling ?? SentencePooling.Pooler, pairEncoding),
            ModelFamily.Roberta => new RobertaForSequenceClassification(effective, numLabels),
            ModelFamily.DistilBert => new DistilBertForSequenceClassification(effective, numLabels),
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.Family, "Only BERT, RoBERTa and DistilBERT classifiers can be built from a config."),
        };
    }

    /// <summary>
    /// The bare encoder (<c>BertModel</c> with pooler, <c>RobertaModel</c> with pooler, <c>DistilBertModel</c>). A checkpoint saved
    /// without a pooler (a bare sentence encoder) gets a freshly initialised one, as transformers does.
    /// </summary>
    public static PretrainedEncoder LoadEncoder(string folder, double? dropoutOverride = null, Device? device = null)
    {
        var config = EncoderConfig.Load(folder);
        using var weights = CheckpointWeights.Read(folder);
        return LoadEncoder(config, weights, dropoutOverride, device);
    }

    /// <summary>The bare encoder for <paramref name="config"/>, with weights from an already read checkpoint.</summary>
    public static PretrainedEncoder LoadEncoder(EncoderConfig config, StateDict weights, double? dropoutOverride = null, Device? device = null)
        => FromWeights(CreateEncoder(WithDropout(config, dropoutOverride)), config, weights, device).Model;

    /// <summary>A freshly initialised bare encoder for <paramref name="config"/>, on the CPU.</summary>
    public static PretrainedEncoder CreateEncoder(EncoderConfig config, bool addPoolingLayer = true)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Family switch
        {
            ModelFamily.Bert => new BertModel(config, addPoolingLayer),
            ModelFamily.Roberta => new RobertaModel(config, addPoolingLayer),
            ModelFamily.DistilBert => new DistilBertModel(config),
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.Family, "Only BERT, RoBERTa and DistilBERT encoders can be built from a config."),
        };
    }

    /// <summary>Refuses a bi-encoder for a family whose head cannot read one.</summary>
    internal static void RequirePairEncoding(ModelFamily family, SentencePairEncoding pairEncoding)
    {
        if (pairEncoding == SentencePairEncoding.BiEncoder && !ModelFamilies.Of(family).ReadsPairsAsBiEncoder)
            throw new ArgumentOutOfRangeException(nameof(pairEncoding), pairEncoding,
                $"A bi-encoder head is available for {string.Join(" and ", ModelFamilies.All.Where(d => d.ReadsPairsAsBiEncoder).Select(d => d.Family))} models; the {family} head reads a pair as one sequence (CrossEncoder).");
    }

    private static EncoderConfig WithDropout(EncoderConfig config, double? dropoutOverride)
        => dropoutOverride is double probability ? config.WithDropout(probability) : config;

    /// <summary>Parameters a checkpoint may lack: the task head's, and a bare encoder's pooler (sentence encoders are saved without one).</summary>
    private static IReadOnlyList<string> OptionalPrefixes(Module model) => model switch
    {
        IPretrainedTaskModel task => task.HeadParameterPrefixes,
        PretrainedEncoder => ["pooler."],
        _ => [],
    };

    internal static (TModel Model, TensorCopyReport Report) FromWeights<TModel>(TModel model, EncoderConfig config, StateDict weights, Device? device) where TModel : Module
    {
        try
        {
            var report = HuggingFaceWeightLoader.Load(model, config, weights, OptionalPrefixes(model));
            model.eval();
            if (device is not null && device.type != DeviceType.CPU) model.to(device);
            return (model, report);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
