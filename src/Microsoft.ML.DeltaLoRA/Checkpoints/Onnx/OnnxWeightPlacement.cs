using System.Text.RegularExpressions;
using Onnx;

namespace Microsoft.ML.DeltaLoRA.Checkpoints.Onnx;

/// <summary>Where an ONNX initializer goes in a Hugging Face state dict, and whether it is stored transposed ([in, out]).</summary>
internal sealed record PlacedWeight(string Initializer, string Name, bool Transposed);

/// <summary>
/// Gives every weight of a torch.onnx export of a BERT-family encoder its Hugging Face name. torch.onnx keeps the names of
/// tensors it uses as they are (embeddings, biases, LayerNorm, weights read by <c>Gemm</c>), but each <c>nn.Linear</c> weight
/// that it feeds to <c>MatMul(x, W)</c> becomes an anonymous, transposed copy (<c>927</c>, <c>onnx::MatMul_788</c>) followed by
/// <c>Add(&lt;layer&gt;.bias, ·)</c>: that bias names the layer, so W is <c>&lt;layer&gt;.weight</c>, transposed back.
/// The placement is then confirmed by the graph's structure (see <see cref="Confirm"/>).
/// </summary>
internal static partial class OnnxWeightPlacement
{
    public static IReadOnlyList<PlacedWeight> Place(OnnxGraph graph)
    {
        var placed = new List<PlacedWeight>();
        foreach (var (name, proto) in graph.Initializers)
        {
            if (!OnnxInitializer.IsFloatingPoint(proto)) continue;
            if (IsHuggingFaceName(name)) placed.Add(new PlacedWeight(name, name, ReadAsInputByOutput(graph, name)));
            else if (proto.Dims.Count >= 2) placed.Add(PlaceAnonymous(graph, name, proto));
        }
        foreach (var clash in placed.GroupBy(p => p.Name).Where(g => g.Count() > 1))
            throw new InvalidDataException(
                $"The ONNX model '{graph.File}' has two weights for '{clash.Key}': the initializers {string.Join(" and ", clash.Select(p => $"'{p.Initializer}'"))}.");
        Confirm(graph, placed);
        return placed;
    }

    /// <summary>Dotted identifiers such as <c>encoder.layer.0.attention.self.query.bias</c>; not <c>927</c> or <c>onnx::MatMul_788</c>.</summary>
    public static bool IsHuggingFaceName(string name) => HuggingFaceName().IsMatch(name);

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")]
    private static partial Regex HuggingFaceName();

    /// <summary>A named weight is stored as Hugging Face stores it ([out, in]) unless a MatMul, or a Gemm without transB, reads it.</summary>
    private static bool ReadAsInputByOutput(OnnxGraph graph, string name)
        => graph.Consumers(name).Any(node => node.Input.Count > 1 && node.Input[1] == name
            && (node.OpType == "MatMul" || (node.OpType == "Gemm" && OnnxGraph.Attribute(node, "transB", 0) == 0)));

    private static PlacedWeight PlaceAnonymous(OnnxGraph graph, string name, TensorProto proto)
    {
        var matMul = graph.Consumers(name).FirstOrDefault(node => node.OpType == "MatMul" && node.Input.Count == 2 && node.Input[1] == name)
            ?? throw Unplaceable(graph, name, proto, "no MatMul reads it as its weight (second input)");
        var product = matMul.Output[0];
        var bias = graph.Consumers(product)
            .Where(node => node.OpType == "Add")
            .SelectMany(node => node.Input)
            .FirstOrDefault(input => input != product && input.EndsWith(".bias", StringComparison.Ordinal) && graph.Initializers.ContainsKey(input))
            ?? throw Unplaceable(graph, name, proto, $"the result of its MatMul ('{product}') is not added to a named '<layer>.bias' initializer");
        var biasDims = graph.Initializers[bias].Dims;
        if (proto.Dims.Count != 2 || biasDims.Count != 1 || biasDims[0] != proto.Dims[1])
            throw new InvalidDataException(
                $"The initializer '{name}' in '{graph.File}' (shape [{string.Join(", ", proto.Dims)}]) feeds the bias '{bias}' (shape [{string.Join(", ", biasDims)}]); " +
                "expected a [in, out] weight whose out equals the bias length.");
        return new PlacedWeight(name, bias[..^".bias".Length] + ".weight", Transposed: true);
    }

    private static InvalidDataException Unplaceable(OnnxGraph graph, string name, TensorProto proto, string why)
        => new($"The initializer '{name}' (shape [{string.Join(", ", proto.Dims)}]) in '{graph.File}' cannot be placed as a Hugging Face weight: {why}.");

    /// <summary>
    /// Checks the bias-given names against the graph: a layer's query, key and value projections read one input, and the
    /// feed-forward output projection reads what the intermediate projection's activation produced.
    /// </summary>
    private static void Confirm(OnnxGraph graph, IReadOnlyList<PlacedWeight> placed)
    {
        var anonymous = placed.Where(p => p.Initializer != p.Name).ToDictionary(p => p.Name, StringComparer.Ordinal);
        string InputOf(PlacedWeight weight) => graph.Consumers(weight.Initializer).First(node => node.OpType == "MatMul").Input[0];

        foreach (var (name, query) in anonymous)
        {
            var projection = AttentionProjections.FirstOrDefault(p => name.EndsWith(p.Query, StringComparison.Ordinal));
            if (projection is null) continue;
            var prefix = name[..^projection.Query.Length];
            foreach (var other in new[] { projection.Key, projection.Value })
            {
                if (!anonymous.TryGetValue(prefix + other, out var weight)) continue;
                if (InputOf(weight) != InputOf(query))
                    throw Disagree(graph, weight, $"it reads '{InputOf(weight)}' while the query projection '{query.Initializer}' of the same layer reads '{InputOf(query)}'");
            }
        }
        foreach (var (name, intermediate) in anonymous)
        {
            var pair = FeedForwardPairs.FirstOrDefault(p => name.EndsWith(p.In, StringComparison.Ordinal));
            if (pair is null || !anonymous.TryGetValue(name[..^pair.In.Length] + pair.Out, out var output)) continue;
            var intermediateResult = graph.Consumers(graph.Consumers(intermediate.Initializer).First(n => n.OpType == "MatMul").Output[0]);
            var downstream = intermediateResult.SelectMany(node => node.Output).SelectMany(o => graph.Downstream(o, 8)).ToArray();
            if (!downstream.Any(node => ActivationOps.Contains(node.OpType)))
                throw Disagree(graph, intermediate, "no activation (Erf, Tanh, Relu, Sigmoid) follows it");
            if (!downstream.SelectMany(node => node.Output).Contains(InputOf(output)))
                throw Disagree(graph, output, $"its input '{InputOf(output)}' does not come from the activation after '{intermediate.Name}'");
        }
    }

    private static InvalidDataException Disagree(OnnxGraph graph, PlacedWeight weight, string why)
        => new($"The initializer '{weight.Initializer}' in '{graph.File}' feeds the bias of '{weight.Name}', but the graph disagrees: {why}.");

    private sealed record Projections(string Query, string Key, string Value);
    private sealed record FeedForward(string In, string Out);

    private static readonly Projections[] AttentionProjections =
    [
        new("attention.self.query.weight", "attention.self.key.weight", "attention.self.value.weight"),
        new("attention.q_lin.weight", "attention.k_lin.weight", "attention.v_lin.weight"),
    ];

    private static readonly FeedForward[] FeedForwardPairs =
    [
        new("intermediate.dense.weight", "output.dense.weight"),
        new("ffn.lin1.weight", "ffn.lin2.weight"),
    ];

    private static readonly HashSet<string> ActivationOps = ["Erf", "Tanh", "Relu", "Sigmoid", "Gelu"];
}
