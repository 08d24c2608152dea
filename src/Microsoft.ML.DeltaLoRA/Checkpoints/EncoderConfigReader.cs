using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Checkpoints;

/// <summary>Reads the keys of one family's <c>config.json</c> into an <see cref="EncoderConfig"/>, naming the file and key in every error.</summary>
internal sealed class EncoderConfigReader(JsonObject root, string source)
{
    /// <summary>DistilBERT hard-codes its LayerNorm epsilon; the config has no key for it.</summary>
    private const double DistilBertLayerNormEps = 1e-12;

    public EncoderConfig Read(ModelFamily? familyWhenUnstated)
    {
        var family = ReadFamily(familyWhenUnstated);
        var config = family == ModelFamily.DistilBert ? ReadDistilBert() : ReadBertLike(family);
        Validate(config);
        return config;
    }

    private ModelFamily ReadFamily(ModelFamily? familyWhenUnstated)
    {
        var modelType = OptionalString("model_type");
        if (modelType is null)
        {
            return familyWhenUnstated
                ?? throw new InvalidDataException(
                    $"The model configuration '{source}' has no 'model_type' (files written before transformers 2.0 lack it); add the key \"model_type\" with " +
                    "\"bert\", \"roberta\" or \"distilbert\", the family whose prefix (bert., roberta., distilbert.) the weight names carry.");
        }
        return ModelFamilies.WithConfigModelType(modelType)?.Family
            ?? throw new InvalidDataException(
                $"The model configuration '{source}' has model_type '{modelType}', which is not supported; expected one of {string.Join(", ", ModelFamilies.ConfigModelTypes)}.");
    }

    private EncoderConfig ReadBertLike(ModelFamily family)
    {
        var positionType = OptionalString("position_embedding_type") ?? "absolute";
        if (positionType != "absolute")
            throw new InvalidDataException($"The model configuration '{source}' has position_embedding_type '{positionType}'; only 'absolute' is supported.");
        var (id2Label, numLabels) = ReadLabels();
        return new EncoderConfig
        {
            Family = family,
            VocabSize = RequiredInt("vocab_size"),
            HiddenSize = RequiredInt("hidden_size"),
            NumLayers = RequiredInt("num_hidden_layers"),
            NumAttentionHeads = RequiredInt("num_attention_heads"),
            IntermediateSize = RequiredInt("intermediate_size"),
            MaxPositionEmbeddings = OptionalInt("max_position_embeddings") ?? 512,
            TypeVocabSize = OptionalInt("type_vocab_size") ?? 2,
            PadTokenId = OptionalInt("pad_token_id") ?? ModelFamilies.Of(family).DefaultPadTokenId,
            LayerNormEps = OptionalDouble("layer_norm_eps") ?? 1e-12,
            HiddenDropout = OptionalDouble("hidden_dropout_prob") ?? 0.1,
            AttentionDropout = OptionalDouble("attention_probs_dropout_prob") ?? 0.1,
            ClassifierDropout = OptionalDouble("classifier_dropout"),
            HiddenAct = OptionalString("hidden_act") ?? "gelu",
            InitializerRange = OptionalDouble("initializer_range") ?? 0.02,
            Id2Label = id2Label,
            NumLabels = numLabels,
        };
    }

    private EncoderConfig ReadDistilBert()
    {
        var (id2Label, numLabels) = ReadLabels();
        return new EncoderConfig
        {
            Family = ModelFamily.DistilBert,
            VocabSize = RequiredInt("vocab_size"),
            HiddenSize = RequiredInt("dim"),
            NumLayers = RequiredInt("n_layers"),
            NumAttentionHeads = RequiredInt("n_heads"),
            IntermediateSize = RequiredInt("hidden_dim"),
            MaxPositionEmbeddings = OptionalInt("max_position_embeddings") ?? 512,
            TypeVocabSize = 0,
            PadTokenId = OptionalInt("pad_token_id") ?? 0,
            LayerNormEps = DistilBertLayerNormEps,
            HiddenDropout = OptionalDouble("dropout") ?? 0.1,
            AttentionDropout = OptionalDouble("attention_dropout") ?? 0.1,
            ClassifierDropout = OptionalDouble("seq_classif_dropout") ?? 0.2,
            HiddenAct = OptionalString("activation") ?? "gelu",
            InitializerRange = OptionalDouble("initializer_range") ?? 0.02,
            Id2Label = id2Label,
            NumLabels = numLabels,
        };
    }

    private (IReadOnlyDictionary<int, string> Id2Label, int NumLabels) ReadLabels()
    {
        var labels = new Dictionary<int, string>();
        if (root["id2label"] is JsonObject id2label)
        {
            foreach (var (key, value) in id2label)
            {
                if (!int.TryParse(key, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) || id < 0)
                    throw new InvalidDataException($"The model configuration '{source}' has an id2label key '{key}' that is not a label index.");
                labels[id] = value?.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value?.ToJsonString() ?? "";
            }
        }
        var numLabels = labels.Count > 0 ? labels.Count : OptionalInt("num_labels") ?? 2;
        if (labels.Count == 0) labels = Enumerable.Range(0, numLabels).ToDictionary(i => i, i => $"LABEL_{i}");
        return (labels, numLabels);
    }

    private void Validate(EncoderConfig config)
    {
        if (config.HiddenAct != "gelu")
            throw new InvalidDataException($"The model configuration '{source}' has activation '{config.HiddenAct}'; only exact 'gelu' is supported.");
        foreach (var (name, value) in new[] { ("vocab size", config.VocabSize), ("hidden size", config.HiddenSize), ("layer count", config.NumLayers),
            ("attention head count", config.NumAttentionHeads), ("intermediate size", config.IntermediateSize), ("position count", config.MaxPositionEmbeddings) })
        {
            if (value < 1) throw new InvalidDataException($"The model configuration '{source}' has {name} {value}; expected at least 1.");
        }
        if (config.HiddenSize % config.NumAttentionHeads != 0)
            throw new InvalidDataException(
                $"The model configuration '{source}' has hidden size {config.HiddenSize}, which is not a multiple of the {config.NumAttentionHeads} attention heads.");
        foreach (var (name, value) in new[] { ("hidden dropout", config.HiddenDropout), ("attention dropout", config.AttentionDropout), ("classifier dropout", config.EffectiveClassifierDropout) })
        {
            if (value is < 0 or >= 1)
                throw new InvalidDataException($"The model configuration '{source}' has {name} {value}; expected a probability in [0, 1).");
        }
    }

    private JsonNode? Value(string key) => root.TryGetPropertyValue(key, out var node) ? node : null;

    private string? OptionalString(string key)
    {
        var node = Value(key);
        if (node is null) return null;
        if (node.GetValueKind() != JsonValueKind.String)
            throw new InvalidDataException($"The model configuration '{source}' has '{key}' = {node.ToJsonString()}; expected a string.");
        return node.GetValue<string>();
    }

    private int RequiredInt(string key)
        => OptionalInt(key) ?? throw new InvalidDataException($"The model configuration '{source}' has no '{key}'.");

    private int? OptionalInt(string key)
    {
        var node = Value(key);
        if (node is null) return null;
        if (node.GetValueKind() != JsonValueKind.Number || !int.TryParse(node.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            throw new InvalidDataException($"The model configuration '{source}' has '{key}' = {node.ToJsonString()}; expected an integer.");
        if (value < 0)
            throw new InvalidDataException($"The model configuration '{source}' has '{key}' = {value}; expected a non-negative integer.");
        return value;
    }

    private double? OptionalDouble(string key)
    {
        var node = Value(key);
        if (node is null) return null;
        if (node.GetValueKind() != JsonValueKind.Number)
            throw new InvalidDataException($"The model configuration '{source}' has '{key}' = {node.ToJsonString()}; expected a number.");
        return node.GetValue<double>();
    }
}
