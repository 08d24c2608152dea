using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Microsoft.ML.DeltaLoRA.Tests.Export;

/// <summary>
/// One-node ONNX graphs around ONNX Runtime Extensions' tokenizer ops (domain <c>ai.onnx.contrib</c>, the library registered
/// with <see cref="SessionOptions.RegisterOrtExtensions"/>), run by ONNX Runtime: what a text-input export would put in front of
/// the encoder.
/// </summary>
internal sealed class ExtensionsTokenizerOps : IDisposable
{
    public const string Domain = "ai.onnx.contrib";

    private readonly SessionOptions options;
    private readonly InferenceSession session;

    private ExtensionsTokenizerOps(ModelProto model)
    {
        Proto = model;
        options = new SessionOptions();
        options.RegisterOrtExtensions();
        session = new InferenceSession(model.ToByteArray(), options);
    }

    /// <summary>
    /// The <c>BertTokenizer</c> op over a WordPiece <c>vocab.txt</c>: one string in (a text) or two (a pair), and
    /// <c>input_ids</c>, <c>token_type_ids</c>, <c>attention_mask</c> out, with [CLS]/[SEP] and truncation to
    /// <paramref name="maxLength"/> tokens.
    /// </summary>
    public static ExtensionsTokenizerOps Bert(string vocabPath, bool lowerCase, int maxLength)
        => new(Model("BertTokenizer", ["input_ids", "token_type_ids", "attention_mask"], ["sequence"],
            StringAttribute("vocab_file", File.ReadAllText(vocabPath)),
            IntAttribute("do_lower_case", lowerCase ? 1 : 0),
            IntAttribute("strip_accents", lowerCase ? 1 : 0),
            IntAttribute("max_length", maxLength)));

    /// <summary>
    /// A byte-level BPE op (<c>GPT2Tokenizer</c>: no special tokens; <c>RobertaTokenizer</c>: &lt;s&gt; … &lt;/s&gt;) over
    /// <c>vocab.json</c> and <c>merges.txt</c>: a batch of strings in, <c>input_ids</c> and <c>attention_mask</c> [1, texts, longest] out.
    /// </summary>
    public static ExtensionsTokenizerOps ByteLevelBpe(string opType, string vocabPath, string mergesPath, int paddingLength = -1)
        => new(Model(opType, ["input_ids", "attention_mask"], ["rows", "texts", "sequence"],
            StringAttribute("vocab", File.ReadAllText(vocabPath)),
            StringAttribute("merges", File.ReadAllText(mergesPath)),
            IntAttribute("padding_length", paddingLength)));

    /// <summary>The one-node model; its text input is [1, texts], the shape ML.NET's ApplyOnnxModel gives a row's text.</summary>
    public ModelProto Proto { get; }

    /// <summary>Runs the op on <paramref name="texts"/>; returns each output's values and shape by name.</summary>
    public IReadOnlyDictionary<string, (long[] Values, int[] Shape)> Run(params string[] texts)
    {
        var input = NamedOnnxValue.CreateFromTensor("text", new DenseTensor<string>(texts, [1, texts.Length]));
        using var results = session.Run([input]);
        return results.ToDictionary(r => r.Name, r =>
        {
            var tensor = r.AsTensor<long>();
            return (tensor.ToArray(), tensor.Dimensions.ToArray());
        });
    }

    public void Dispose()
    {
        session.Dispose();
        options.Dispose();
    }

    private static ModelProto Model(string opType, string[] outputs, string[] outputDimensions, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Domain = Domain, Name = opType };
        node.Input.Add("text");
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        var graph = new GraphProto { Name = opType.ToLowerInvariant() };
        graph.Node.Add(node);
        graph.Input.Add(Value("text", DataType.String, new TensorShapeProto.Types.Dimension { DimValue = 1 }, new TensorShapeProto.Types.Dimension { DimParam = "texts" }));
        var dimensions = outputDimensions.Select(name => new TensorShapeProto.Types.Dimension { DimParam = name }).ToArray();
        foreach (var output in outputs) graph.Output.Add(Value(output, DataType.Int64, dimensions));
        var model = new ModelProto { IrVersion = 8, Graph = graph, ProducerName = "Microsoft.ML.DeltaLoRA.Tests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = Domain, Version = 1 });
        return model;
    }

    private static ValueInfoProto Value(string name, DataType type, params TensorShapeProto.Types.Dimension[] dimensions)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dimensions);
        return new() { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }

    private static AttributeProto StringAttribute(string name, string value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private static AttributeProto IntAttribute(string name, long value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };
}
