using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Checkpoints.Onnx;

/// <summary>
/// Derives the <see cref="EncoderConfig"/> of a BERT, RoBERTa or DistilBERT export from its graph when no <c>config.json</c>
/// comes with it: sizes from the weight shapes, the head count from the attention reshape, LayerNorm's epsilon from its node
/// (or the constant added to the variance when the export spelled LayerNorm out), the activation from its ops. What a graph
/// cannot tell (dropout, padding id, initialisation) takes the family's default and is listed in <see cref="Derived.Assumed"/>.
/// </summary>
internal static partial class OnnxEncoderConfig
{
    public sealed record Derived(EncoderConfig Config, IReadOnlyList<string> Assumed);

    public static Derived Derive(OnnxGraph graph, IReadOnlyList<PlacedWeight> weights)
    {
        var shapes = weights.ToDictionary(w => w.Name, w => Shape(graph, w), StringComparer.Ordinal);
        var family = FamilyOf(graph, shapes.Keys);
        var prefix = EncoderConfig.ModelTypeOf(family) + ".";
        var bare = shapes.ToDictionary(p => p.Key.StartsWith(prefix, StringComparison.Ordinal) ? p.Key[prefix.Length..] : p.Key, p => p.Value, StringComparer.Ordinal);
        long[] Require(string name) => bare.TryGetValue(name, out var shape) ? shape
            : throw new InvalidDataException($"The ONNX model '{graph.File}' has no weight '{name}' (nor '{prefix}{name}'); it does not look like a {family} encoder.");

        var word = Require("embeddings.word_embeddings.weight");
        var hidden = (int)word[1];
        var distil = family == ModelFamily.DistilBert;
        var layers = bare.Keys.Select(name => LayerIndex().Match(name)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Distinct().Count();
        if (layers == 0) throw new InvalidDataException($"The ONNX model '{graph.File}' has no encoder layers ('encoder.layer.N.*' or 'transformer.layer.N.*').");
        var queryBias = distil ? "transformer.layer.0.attention.q_lin.bias" : "encoder.layer.0.attention.self.query.bias";
        var intermediate = distil ? "transformer.layer.0.ffn.lin1.bias" : "encoder.layer.0.intermediate.dense.bias";
        var assumed = new List<string>
        {
            "dropout probabilities (hidden 0.1, attention 0.1): an inference graph has none",
            "initializer_range 0.02 (used only for freshly created layers)",
        };
        var padTokenId = ModelFamilies.Of(family).DefaultPadTokenId;
        assumed.Add($"pad_token_id {padTokenId}, the {family} default");

        var classifier = bare.GetValueOrDefault("classifier.out_proj.weight") ?? bare.GetValueOrDefault("classifier.weight");
        var config = new EncoderConfig
        {
            Family = family,
            VocabSize = (int)word[0],
            HiddenSize = hidden,
            NumLayers = layers,
            NumAttentionHeads = AttentionHeads(graph, prefix + queryBias, queryBias, hidden),
            IntermediateSize = (int)Require(intermediate)[0],
            MaxPositionEmbeddings = (int)Require("embeddings.position_embeddings.weight")[0],
            TypeVocabSize = distil ? 0 : (int)Require("embeddings.token_type_embeddings.weight")[0],
            PadTokenId = padTokenId,
            LayerNormEps = LayerNormEpsilon(graph) ?? Assume(assumed, "layer_norm_eps 1e-12: no LayerNorm epsilon found in the graph", 1e-12),
            HiddenAct = graph.Nodes.Any(n => n.OpType == "Erf") ? "gelu"
                : throw new InvalidDataException($"The ONNX model '{graph.File}' has no Erf node: its activation is not the exact GELU this library supports."),
        };
        if (classifier is not null) config = config.WithNumLabels((int)classifier[0]);
        return new Derived(config, assumed);
    }

    [GeneratedRegex(@"^(?:encoder|transformer)\.layer\.(\d+)\.")]
    private static partial Regex LayerIndex();

    private static ModelFamily FamilyOf(OnnxGraph graph, IEnumerable<string> names)
    {
        var all = names.ToArray();
        if (all.Any(n => n.StartsWith("distilbert.", StringComparison.Ordinal) || n.StartsWith("transformer.layer.", StringComparison.Ordinal)))
            return ModelFamily.DistilBert;
        if (all.Any(n => n.StartsWith("bert.", StringComparison.Ordinal))) return ModelFamily.Bert;
        // Without a family prefix: RoBERTa numbers positions from the padding id with a cumulative sum over non-padding tokens;
        // torch.onnx's BERT slices 0, 1, 2, ... (our own BERT export counts them with a CumSum too, but names its weights bert.*).
        if (all.Any(n => n.StartsWith("roberta.", StringComparison.Ordinal)) || graph.Nodes.Any(n => n.OpType == "CumSum"))
            return ModelFamily.Roberta;
        return ModelFamily.Bert;
    }

    private static long[] Shape(OnnxGraph graph, PlacedWeight weight)
    {
        var dims = graph.Initializers[weight.Initializer].Dims.ToArray();
        return weight.Transposed ? dims.Reverse().ToArray() : dims;
    }

    /// <summary>The query projection's result is reshaped to [batch, sequence, heads, head size]: read heads from that shape.</summary>
    private static int AttentionHeads(OnnxGraph graph, string prefixedBias, string bias, int hidden)
    {
        var biasName = graph.Initializers.ContainsKey(prefixedBias) ? prefixedBias : bias;
        foreach (var add in graph.Consumers(biasName).Where(n => n.OpType == "Add"))
        {
            foreach (var reshape in add.Output.SelectMany(graph.Consumers).Where(n => n.OpType == "Reshape"))
            {
                var shape = ShapeValues(graph, reshape.Input[1]);
                if (shape is { Length: 4 } && shape[2] is long heads && shape[3] is long headSize && heads * headSize == hidden)
                    return (int)heads;
            }
        }
        throw new InvalidDataException(
            $"The ONNX model '{graph.File}' does not show its attention head count (no [batch, sequence, heads, head size] reshape after '{bias}'); " +
            "put the model's config.json beside it.");
    }

    /// <summary>A reshape target built from constants, or concatenated from constants and runtime sizes (null entries).</summary>
    private static long?[]? ShapeValues(OnnxGraph graph, string tensor)
    {
        if (graph.IntegerConstant(tensor) is { } constant) return constant.Select(v => (long?)v).ToArray();
        var concat = graph.Producer(tensor);
        if (concat?.OpType != "Concat") return null;
        return concat.Input.SelectMany(input => graph.IntegerConstant(input)?.Select(v => (long?)v) ?? [null]).ToArray();
    }

    /// <summary>From a LayerNormalization node, or from <c>Add(ReduceMean(...), ε)</c> feeding <c>Sqrt</c> where LayerNorm is spelled out.</summary>
    private static double? LayerNormEpsilon(OnnxGraph graph)
    {
        var node = graph.Nodes.FirstOrDefault(n => n.OpType == "LayerNormalization");
        if (node is not null)
            return node.Attribute.FirstOrDefault(a => a.Name == "epsilon") is { } epsilon ? OnnxGraph.Widen(epsilon.F) : 1e-5;
        foreach (var add in graph.Nodes.Where(n => n.OpType == "Add" && n.Input.Count == 2))
        {
            if (!add.Output.SelectMany(graph.Consumers).Any(n => n.OpType == "Sqrt")) continue;
            if (!add.Input.Any(i => graph.Producer(i)?.OpType == "ReduceMean")) continue;
            if (add.Input.Select(graph.ScalarConstant).FirstOrDefault(v => v is not null) is double epsilon) return epsilon;
        }
        return null;
    }

    private static double Assume(List<string> assumed, string note, double value)
    {
        assumed.Add(note);
        return value;
    }
}
