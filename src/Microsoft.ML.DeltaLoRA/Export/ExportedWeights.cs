using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Export;

/// <summary>
/// The network's tensors (by Hugging Face name) as initializers of the graph being built, each added once however often the
/// graph reads it (a bi-encoder runs the encoder twice on the same weights). Tensors the graph reads as stored keep their
/// Hugging Face names; linear weights are stored transposed ([in, out]) under an anonymous name, as torch.onnx stores them,
/// and the Hugging Face name stays recoverable from the bias added after the <c>MatMul</c> (what our ONNX reader relies on).
/// </summary>
internal sealed class ExportedWeights(OnnxGraphBuilder builder, IReadOnlyDictionary<string, Tensor> tensors, string source)
{
    private readonly Dictionary<string, string> added = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Weight, string Bias)> packed = new(StringComparer.Ordinal);

    /// <summary>The initializer holding <paramref name="name"/> as the network stores it.</summary>
    public string AsStored(string name)
    {
        if (added.TryGetValue(name, out var initializer)) return initializer;
        var (values, shape) = Read(name, transpose: false);
        return added[name] = builder.Initializer(name, values, shape);
    }

    /// <summary>
    /// <c>Add(MatMul(x, Wᵀ), &lt;layer&gt;.bias)</c>: the linear layer <paramref name="layer"/> as torch.onnx writes it (the product first:
    /// ONNX Runtime's attention fusion follows the Add's first input to the MatMul).
    /// </summary>
    public string Linear(string input, string layer)
    {
        var weightName = layer + ".weight";
        if (!added.TryGetValue(weightName, out var weight))
        {
            var (values, shape) = Read(weightName, transpose: true);
            added[weightName] = weight = builder.Initializer(builder.NextName("onnx::MatMul"), values, shape);
        }
        var product = builder.Node("MatMul", input, weight);
        return builder.Node("Add", product, AsStored(layer + ".bias"));
    }

    /// <summary>
    /// The projections <paramref name="query"/>, <paramref name="key"/> and <paramref name="value"/> packed as ONNX Runtime's
    /// <c>Attention</c> reads them, as anonymous initializers: the weight [in, 3·out] = [Wqᵀ | Wkᵀ | Wvᵀ] (row i holds row i of each
    /// transposed weight, side by side) and the bias [3·out] = [bq, bk, bv].
    /// </summary>
    public (string Weight, string Bias) PackedProjections(string query, string key, string value)
    {
        if (packed.TryGetValue(query, out var initializers)) return initializers;
        var weights = new[] { query, key, value }.Select(layer => Read(layer + ".weight", transpose: true)).ToArray();
        var biases = new[] { query, key, value }.Select(layer => Read(layer + ".bias", transpose: false).Values).ToArray();
        var inputs = weights[0].Shape[0];
        if (weights.Any(w => w.Shape[0] != inputs))
            throw new InvalidDataException($"The query, key and value projections of {source} ('{query}', '{key}', '{value}') take inputs of different sizes.");
        var outputs = weights.Sum(w => w.Shape[1]);
        var packedWeight = new float[inputs * outputs];
        var at = 0;
        for (long row = 0; row < inputs; row++)
            foreach (var (values, shape) in weights)
            {
                Array.Copy(values, row * shape[1], packedWeight, at, shape[1]);
                at += (int)shape[1];
            }
        return packed[query] = (builder.Initializer(builder.NextName("onnx::Attention_weight"), packedWeight, inputs, outputs),
            builder.Initializer(builder.NextName("onnx::Attention_bias"), [.. biases.SelectMany(b => b)], outputs));
    }

    private Tensor Tensor(string name) => tensors.TryGetValue(name, out var tensor)
        ? tensor
        : throw new InvalidDataException($"The model {source} has no tensor '{name}', which its ONNX graph needs; it is not a complete {source} network.");

    private (float[] Values, long[] Shape) Read(string name, bool transpose)
    {
        var live = Tensor(name);
        if (!torch.is_floating_point(live))
            throw new InvalidDataException($"The tensor '{name}' of {source} has type {live.dtype}; expected floating point.");
        if (transpose && live.dim() != 2)
            throw new InvalidDataException($"The tensor '{name}' of {source} has shape [{string.Join(", ", live.shape)}]; expected a [out, in] weight.");
        using var scope = torch.NewDisposeScope();
        var detached = live.detach();
        var laidOut = (transpose ? detached.t() : detached).to(ScalarType.Float32).cpu().contiguous();
        var values = laidOut.data<float>().ToArray();
        if (values.Any(v => !float.IsFinite(v)))
            throw new InvalidDataException(
                $"The tensor '{name}' of {source} is not finite (NaN or infinity): the training that wrote this model diverged; there is nothing to export.");
        return (values, laidOut.shape);
    }
}
