using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Microsoft.ML.DeltaLoRA.Export;

/// <summary>
/// Builds an ONNX graph (the ONNX protobuf schema's generated classes) node by node: each helper adds one node or one
/// initializer and returns the name of the tensor it produces, so a network reads as a sequence of calls.
/// Tensor names are made unique by a running counter, as torch.onnx numbers its intermediate values.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly GraphProto graph = new();
    private readonly HashSet<string> names = new(StringComparer.Ordinal);
    private int counter;

    public GraphProto Graph => graph;

    /// <summary>A graph input of <paramref name="elementType"/> whose dimensions are symbolic (<c>batch</c>, <c>sequence</c>).</summary>
    public string Input(string name, DataType elementType, params string[] symbolicDimensions)
    {
        graph.Input.Add(ValueInfo(name, elementType, symbolicDimensions.Select(d => new TensorShapeProto.Types.Dimension { DimParam = d })));
        Claim(name);
        return name;
    }

    /// <summary>Declares <paramref name="tensor"/> a graph output of shape [symbolic, fixed...].</summary>
    public void Output(string tensor, DataType elementType, string batchDimension, params long[] fixedDimensions)
    {
        var dims = new[] { new TensorShapeProto.Types.Dimension { DimParam = batchDimension } }
            .Concat(fixedDimensions.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
        graph.Output.Add(ValueInfo(tensor, elementType, dims));
    }

    /// <summary>
    /// Renames the tensor <paramref name="tensor"/>, which the last node added produced and nothing reads yet, to
    /// <paramref name="name"/> (a graph output's public name, such as <c>logits</c>).
    /// </summary>
    public string Rename(string tensor, string name)
    {
        var producer = graph.Node.Count > 0 ? graph.Node[^1] : null;
        if (producer is null || producer.Output.Count != 1 || producer.Output[0] != tensor)
            throw new InvalidOperationException($"'{tensor}' is not the output of the last node added.");
        producer.Output[0] = Claim(name);
        names.Remove(tensor);
        return name;
    }

    /// <summary>A float32 initializer of shape <paramref name="dims"/>, stored as raw little-endian bytes.</summary>
    public string Initializer(string name, float[] values, params long[] dims)
    {
        if (values.LongLength != dims.Aggregate(1L, (a, b) => a * b))
            throw new ArgumentException($"The initializer '{name}' has {values.LongLength} values for shape [{string.Join(", ", dims)}].", nameof(values));
        var proto = new TensorProto { Name = Claim(name), DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        proto.Dims.AddRange(dims);
        graph.Initializer.Add(proto);
        return name;
    }

    /// <summary>An int64 constant initializer (shapes, axes, indices); an empty <paramref name="dims"/> makes a scalar.</summary>
    public string Int64Constant(long[] values, params long[] dims)
    {
        var proto = new TensorProto { Name = Claim(NextName("onnx::Constant")), DataType = (int)DataType.Int64 };
        proto.Int64Data.AddRange(values);
        proto.Dims.AddRange(dims);
        graph.Initializer.Add(proto);
        return proto.Name;
    }

    /// <summary>A float32 scalar constant.</summary>
    public string FloatScalar(float value)
    {
        var proto = new TensorProto { Name = Claim(NextName("onnx::Constant")), DataType = (int)DataType.Float };
        proto.FloatData.Add(value);
        graph.Initializer.Add(proto);
        return proto.Name;
    }

    /// <summary>A node of <paramref name="opType"/> with one output, whose name is returned.</summary>
    public string Node(string opType, string[] inputs, params AttributeProto[] attributes)
    {
        var output = Claim(NextName($"/{opType}_output"));
        var node = new NodeProto { OpType = opType, Name = NextName($"/{opType}") };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return output;
    }

    public string Node(string opType, params string[] inputs) => Node(opType, inputs, []);

    /// <summary>A node of ONNX Runtime's contrib operator <paramref name="opType"/> (domain <see cref="OnnxRuntimeDomain"/>), with one output.</summary>
    public string OnnxRuntimeNode(string opType, string[] inputs, params AttributeProto[] attributes)
    {
        var output = Node(opType, inputs, attributes);
        graph.Node[^1].Domain = OnnxRuntimeDomain;
        return output;
    }

    /// <summary>The operator domain of ONNX Runtime's own (contrib) operators, which only ONNX Runtime runs.</summary>
    public const string OnnxRuntimeDomain = "com.microsoft";

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>A fresh name <c>stem_N</c>, numbered as torch.onnx numbers the values it names itself.</summary>
    public string NextName(string stem) => $"{stem}_{counter++}";

    private string Claim(string name)
    {
        if (!names.Add(name)) throw new InvalidOperationException($"The ONNX graph already has a tensor named '{name}'.");
        return name;
    }

    private static ValueInfoProto ValueInfo(string name, DataType elementType, IEnumerable<TensorShapeProto.Types.Dimension> dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims);
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = shape } },
        };
    }
}
