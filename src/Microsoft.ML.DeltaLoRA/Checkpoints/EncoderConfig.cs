using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Checkpoints;

/// <summary>
/// The architecture of a BERT, RoBERTa or DistilBERT encoder, as a Hugging Face <c>config.json</c> describes it.
/// Each family spells its keys its own way (DistilBERT: <c>dim</c>, <c>n_layers</c>, <c>n_heads</c>, <c>hidden_dim</c>, ...);
/// the properties here have one name for all of them.
/// </summary>
internal sealed record EncoderConfig
{
    public const string FileName = "config.json";

    public required ModelFamily Family { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int NumLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    /// <summary>Width of the feed-forward block (BERT <c>intermediate_size</c>, DistilBERT <c>hidden_dim</c>).</summary>
    public required int IntermediateSize { get; init; }
    public required int MaxPositionEmbeddings { get; init; }
    /// <summary>Number of token types (segments); 0 for DistilBERT, which has no token type embeddings.</summary>
    public int TypeVocabSize { get; init; }
    public int PadTokenId { get; init; }
    public double LayerNormEps { get; init; } = 1e-12;
    /// <summary>Dropout after embeddings, attention output and feed-forward (BERT <c>hidden_dropout_prob</c>, DistilBERT <c>dropout</c>).</summary>
    public double HiddenDropout { get; init; } = 0.1;
    /// <summary>Dropout on attention probabilities (<c>attention_probs_dropout_prob</c> / <c>attention_dropout</c>).</summary>
    public double AttentionDropout { get; init; } = 0.1;
    /// <summary>
    /// Dropout before the classifier as written in the file (<c>classifier_dropout</c>, or DistilBERT's <c>seq_classif_dropout</c>);
    /// null means "use <see cref="HiddenDropout"/>", as in Hugging Face. See <see cref="EffectiveClassifierDropout"/>.
    /// </summary>
    public double? ClassifierDropout { get; init; }
    /// <summary>Activation of the feed-forward block; only exact <c>gelu</c> is supported.</summary>
    public string HiddenAct { get; init; } = "gelu";
    /// <summary>Standard deviation of the normal initialisation of freshly created weights.</summary>
    public double InitializerRange { get; init; } = 0.02;
    /// <summary>Class names by index, from <c>id2label</c> (empty when the file has none).</summary>
    public IReadOnlyDictionary<int, string> Id2Label { get; init; } = new Dictionary<int, string>();
    /// <summary>Number of labels of the checkpoint's classifier: the size of <c>id2label</c>, else <c>num_labels</c>, else 2.</summary>
    public int NumLabels { get; init; } = 2;

    public double EffectiveClassifierDropout => ClassifierDropout ?? HiddenDropout;

    public int HeadSize => HiddenSize / NumAttentionHeads;

    /// <summary>
    /// The longest sequence the position embeddings can number: <c>max_position_embeddings</c>, less the padding offset
    /// where the family numbers positions from pad + 1 (RoBERTa: 514 − 1 − 1 = 512).
    /// </summary>
    public int MaxSequenceLength => ModelFamilies.Of(Family).PositionsFollowPadding ? MaxPositionEmbeddings - PadTokenId - 1 : MaxPositionEmbeddings;

    /// <summary>The Hugging Face <c>model_type</c> of the family.</summary>
    public string ModelType => ModelTypeOf(Family);

    /// <summary>Name prefix of the encoder's tensors inside task models (<c>bert</c>, <c>roberta</c>, <c>distilbert</c>).</summary>
    public string BaseModelPrefix => ModelType;

    /// <summary>A copy whose every dropout probability (hidden, attention, classifier) is <paramref name="probability"/>.</summary>
    public EncoderConfig WithDropout(double probability)
    {
        if (probability is < 0 or >= 1 || double.IsNaN(probability))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "A dropout probability must be in [0, 1).");
        return this with { HiddenDropout = probability, AttentionDropout = probability, ClassifierDropout = probability };
    }

    /// <summary>A copy with <paramref name="numLabels"/> generic labels (<c>LABEL_0</c>, ...), unless the labels already match.</summary>
    public EncoderConfig WithNumLabels(int numLabels)
    {
        if (numLabels < 1) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "A classifier needs at least one output.");
        if (numLabels == NumLabels) return this;
        return this with { NumLabels = numLabels, Id2Label = Enumerable.Range(0, numLabels).ToDictionary(i => i, i => $"LABEL_{i}") };
    }

    /// <summary>
    /// Reads a config from a <c>config.json</c> file or from the folder that holds one.
    /// <paramref name="familyWhenUnstated"/> is used only for old files without <c>model_type</c> (pytorch-transformers era).
    /// </summary>
    public static EncoderConfig Load(string path, ModelFamily? familyWhenUnstated = null)
        => LoadWithAssumptions(path, familyWhenUnstated).Config;

    /// <summary>
    /// As <see cref="Load"/>, but a folder without <c>config.json</c> that holds an ONNX export (<c>model.onnx</c>) gets the
    /// config its graph shows; <c>Assumed</c> then lists what the graph could not show (empty for a <c>config.json</c>).
    /// </summary>
    public static (EncoderConfig Config, IReadOnlyList<string> Assumed) LoadWithAssumptions(string path, ModelFamily? familyWhenUnstated = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = Directory.Exists(path) ? Path.Combine(path, FileName) : path;
        if (File.Exists(file)) return (Parse(File.ReadAllText(file), file, familyWhenUnstated), []);
        var onnx = Path.Combine(path, Onnx.OnnxCheckpointReader.FileName);
        if (Directory.Exists(path) && File.Exists(onnx)) return Onnx.OnnxCheckpointReader.DeriveConfig(onnx);
        throw new FileNotFoundException($"The model configuration '{file}' does not exist.", file);
    }

    /// <summary>Parses the text of a <c>config.json</c>; <paramref name="source"/> names it in errors.</summary>
    public static EncoderConfig Parse(string json, string source = FileName, ModelFamily? familyWhenUnstated = null)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject
                ?? throw new InvalidDataException($"The model configuration '{source}' is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The model configuration '{source}' is not valid JSON: {e.Message}", e);
        }
        return new EncoderConfigReader(root, source).Read(familyWhenUnstated);
    }

    /// <summary>The config as a Hugging Face <c>config.json</c> of its family (readable by <see cref="Parse"/> and by transformers).</summary>
    public string ToJson()
    {
        var root = new JsonObject { ["model_type"] = ModelType };
        if (Family == ModelFamily.DistilBert)
        {
            root["activation"] = HiddenAct;
            root["attention_dropout"] = AttentionDropout;
            root["dim"] = HiddenSize;
            root["dropout"] = HiddenDropout;
            root["hidden_dim"] = IntermediateSize;
            root["n_heads"] = NumAttentionHeads;
            root["n_layers"] = NumLayers;
            root["seq_classif_dropout"] = EffectiveClassifierDropout;
            root["sinusoidal_pos_embds"] = false;
        }
        else
        {
            root["attention_probs_dropout_prob"] = AttentionDropout;
            root["classifier_dropout"] = ClassifierDropout;
            root["hidden_act"] = HiddenAct;
            root["hidden_dropout_prob"] = HiddenDropout;
            root["hidden_size"] = HiddenSize;
            root["intermediate_size"] = IntermediateSize;
            root["layer_norm_eps"] = LayerNormEps;
            root["num_attention_heads"] = NumAttentionHeads;
            root["num_hidden_layers"] = NumLayers;
            root["position_embedding_type"] = "absolute";
            root["type_vocab_size"] = TypeVocabSize;
        }
        root["initializer_range"] = InitializerRange;
        root["max_position_embeddings"] = MaxPositionEmbeddings;
        root["pad_token_id"] = PadTokenId;
        root["vocab_size"] = VocabSize;
        root["num_labels"] = NumLabels;
        var id2label = new JsonObject();
        var label2id = new JsonObject();
        foreach (var (id, label) in Id2Label.OrderBy(pair => pair.Key))
        {
            id2label[id.ToString(CultureInfo.InvariantCulture)] = label;
            label2id[label] = id;
        }
        root["id2label"] = id2label;
        root["label2id"] = label2id;
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public static string ModelTypeOf(ModelFamily family)
        => ModelFamilies.Of(family).ConfigModelType
            ?? throw new ArgumentOutOfRangeException(nameof(family), family, $"{family} has no Hugging Face encoder config.");
}
