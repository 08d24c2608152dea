using System.Globalization;
using Google.Protobuf;
using Onnx;

namespace Microsoft.ML.DeltaLoRA.Checkpoints.Onnx;

/// <summary>
/// An ONNX model file parsed with the ONNX protobuf schema (OnnxSharp's generated classes over Google.Protobuf), indexed for
/// walking its graph: which node produces a tensor, which nodes consume it, and the values of small constants.
/// </summary>
internal sealed class OnnxGraph
{
    private readonly Dictionary<string, NodeProto> producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<NodeProto>> consumers = new(StringComparer.Ordinal);

    private OnnxGraph(string file, ModelProto model)
    {
        File = file;
        Model = model;
        Initializers = model.Graph.Initializer.GroupBy(t => t.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var node in model.Graph.Node)
        {
            foreach (var output in node.Output) producers[output] = node;
            foreach (var input in node.Input)
            {
                if (input.Length == 0) continue;
                if (!consumers.TryGetValue(input, out var list)) consumers[input] = list = [];
                list.Add(node);
            }
        }
    }

    public string File { get; }
    public ModelProto Model { get; }
    public IReadOnlyDictionary<string, TensorProto> Initializers { get; }
    public IEnumerable<NodeProto> Nodes => Model.Graph.Node;

    /// <summary>Parses <paramref name="file"/>; a file that is not an ONNX model, or is cut short, fails naming it.</summary>
    public static OnnxGraph Read(string file)
    {
        ArgumentException.ThrowIfNullOrEmpty(file);
        if (!System.IO.File.Exists(file)) throw new FileNotFoundException($"The ONNX model '{file}' does not exist.", file);
        ModelProto model;
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"'{file}' is not a readable ONNX model (truncated or not ONNX): {e.Message}", e);
        }
        if (model.Graph is null || model.Graph.Node.Count == 0 || model.IrVersion == 0)
            throw new InvalidDataException($"'{file}' is not an ONNX model: it has no graph (IR version {model.IrVersion}, {model.Graph?.Node.Count ?? 0} nodes).");
        return new OnnxGraph(file, model);
    }

    public NodeProto? Producer(string tensor) => producers.GetValueOrDefault(tensor);

    public IReadOnlyList<NodeProto> Consumers(string tensor) => consumers.TryGetValue(tensor, out var list) ? list : [];

    /// <summary>The nodes reachable from <paramref name="tensor"/> within <paramref name="depth"/> hops downstream.</summary>
    public IEnumerable<NodeProto> Downstream(string tensor, int depth)
    {
        var frontier = new List<string> { tensor };
        var seen = new HashSet<NodeProto>();
        for (int hop = 0; hop < depth && frontier.Count > 0; hop++)
        {
            var next = new List<string>();
            foreach (var node in frontier.SelectMany(Consumers))
            {
                if (!seen.Add(node)) continue;
                yield return node;
                next.AddRange(node.Output);
            }
            frontier = next;
        }
    }

    /// <summary>
    /// The integer values of a constant tensor (an initializer or a <c>Constant</c> node's output), or null when it is computed.
    /// </summary>
    public long[]? IntegerConstant(string tensor)
    {
        var proto = ConstantTensor(tensor);
        if (proto is null) return null;
        return (TensorProto.Types.DataType)proto.DataType switch
        {
            TensorProto.Types.DataType.Int64 when proto.Int64Data.Count > 0 => proto.Int64Data.ToArray(),
            TensorProto.Types.DataType.Int64 => ToArray(proto.RawData.Span, 8, span => BitConverter.ToInt64(span)),
            TensorProto.Types.DataType.Int32 when proto.Int32Data.Count > 0 => proto.Int32Data.Select(v => (long)v).ToArray(),
            TensorProto.Types.DataType.Int32 => ToArray(proto.RawData.Span, 4, span => (long)BitConverter.ToInt32(span)),
            _ => null,
        };
    }

    /// <summary>The single floating-point value of a scalar constant (a float32 as its shortest decimal, 1e-12 not 9.99999996e-13), or null.</summary>
    public double? ScalarConstant(string tensor)
    {
        var proto = ConstantTensor(tensor);
        if (proto is null || proto.Dims.Aggregate(1L, (a, b) => a * b) != 1) return null;
        return (TensorProto.Types.DataType)proto.DataType switch
        {
            TensorProto.Types.DataType.Float when proto.FloatData.Count == 1 => Widen(proto.FloatData[0]),
            TensorProto.Types.DataType.Float when proto.RawData.Length == 4 => Widen(BitConverter.ToSingle(proto.RawData.Span)),
            TensorProto.Types.DataType.Double when proto.DoubleData.Count == 1 => proto.DoubleData[0],
            TensorProto.Types.DataType.Double when proto.RawData.Length == 8 => BitConverter.ToDouble(proto.RawData.Span),
            _ => null,
        };
    }

    public static double Widen(float value) => double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private TensorProto? ConstantTensor(string tensor)
    {
        if (Initializers.TryGetValue(tensor, out var initializer)) return initializer;
        var node = Producer(tensor);
        if (node?.OpType != "Constant") return null;
        return node.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
    }

    private static long[] ToArray(ReadOnlySpan<byte> bytes, int size, Func<ReadOnlySpan<byte>, long> read)
    {
        var values = new long[bytes.Length / size];
        for (int i = 0; i < values.Length; i++) values[i] = read(bytes.Slice(i * size, size));
        return values;
    }

    public static long Attribute(NodeProto node, string name, long fallback)
        => node.Attribute.FirstOrDefault(a => a.Name == name) is { } attribute ? attribute.I : fallback;
}
