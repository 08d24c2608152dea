using Google.Protobuf;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Checkpoints.Onnx;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using Onnx;
using TorchSharp;
using static Microsoft.ML.DeltaLoRA.Tests.Modeling.HuggingFaceFixtures;

namespace Microsoft.ML.DeltaLoRA.Tests.Checkpoints;

/// <summary>
/// Damaged or foreign ONNX files, made from the BERT fixture's torch.onnx export (or from scratch), must fail with one message
/// naming the file and the initializer and what was expected; other storage forms (F16, external data) must read as the
/// original does.
/// </summary>
public sealed class OnnxDamageTests : IDisposable
{
    private const string QueryBias = "encoder.layer.1.attention.self.query.bias";
    private readonly TempFolder temp = new();

    private static string Source => Path.Combine(ModelFolder("bert", "BertModel"), "model.onnx");

    public void Dispose() => temp.Dispose();

    private static ModelProto Original() => ModelProto.Parser.ParseFrom(File.ReadAllBytes(Source));

    private string Write(ModelProto model)
    {
        var file = temp.File("model.onnx");
        File.WriteAllBytes(file, model.ToByteArray());
        return file;
    }

    private static string AnonymousWeightFeeding(ModelProto model, string bias)
    {
        var add = model.Graph.Node.First(n => n.OpType == "Add" && n.Input.Contains(bias));
        var product = add.Input.First(i => i != bias);
        return model.Graph.Node.First(n => n.OpType == "MatMul" && n.Output[0] == product).Input[1];
    }

    [SharedFact]
    public void ATruncatedFileIsNamed()
    {
        var bytes = File.ReadAllBytes(Source);
        var file = temp.File("model.onnx");
        File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<InvalidDataException>(() => OnnxCheckpointReader.Read(file));
        Assert.Contains(file, error.Message);
        Assert.Contains("not a readable ONNX model", error.Message);
    }

    [SharedFact]
    public void AFileThatIsNotOnnxIsNamed()
    {
        var file = temp.File("model.onnx");
        File.Copy(Path.Combine(ModelFolder("bert", "BertModel"), "config.json"), file);
        var error = Assert.ThrowsAny<InvalidDataException>(() => OnnxCheckpointReader.Read(file));
        Assert.Contains(file, error.Message);
    }

    [SharedFact]
    public void AWeightWhoseBiasIsMissingCannotBePlaced()
    {
        var model = Original();
        var weight = AnonymousWeightFeeding(model, QueryBias);
        model.Graph.Initializer.Remove(model.Graph.Initializer.Single(t => t.Name == QueryBias));
        var error = Assert.Throws<InvalidDataException>(() => OnnxCheckpointReader.Read(Write(model)));
        Assert.Contains($"'{weight}'", error.Message);
        Assert.Contains("'<layer>.bias'", error.Message);
    }

    [SharedFact]
    public void AWrongSizedBiasIsNamedWithBothShapes()
    {
        var model = Original();
        var bias = model.Graph.Initializer.Single(t => t.Name == QueryBias);
        bias.Dims[0] = 31;
        bias.RawData = ByteString.CopyFrom(bias.RawData.Span[..(31 * 4)]);
        var error = Assert.Throws<InvalidDataException>(() => OnnxCheckpointReader.Read(Write(model)));
        Assert.Contains(QueryBias, error.Message);
        Assert.Contains("[31]", error.Message);
        Assert.Contains("[32, 32]", error.Message);
    }

    [SharedFact]
    public void NamesAndStructureThatDisagreeAreRefused()
    {
        // The key projection of layer 1 reads layer 0's attention output instead of the input its query and value read.
        var model = Original();
        var keyWeight = AnonymousWeightFeeding(model, "encoder.layer.1.attention.self.key.bias");
        var keyMatMul = model.Graph.Node.First(n => n.OpType == "MatMul" && n.Input[1] == keyWeight);
        var elsewhere = model.Graph.Node.First(n => n.OpType == "MatMul" && n.Input[1] == AnonymousWeightFeeding(model, "encoder.layer.0.attention.output.dense.bias")).Output[0];
        keyMatMul.Input[0] = elsewhere;
        var error = Assert.Throws<InvalidDataException>(() => OnnxCheckpointReader.Read(Write(model)));
        Assert.Contains($"'{keyWeight}'", error.Message);
        Assert.Contains("encoder.layer.1.attention.self.key.weight", error.Message);
        Assert.Contains("graph disagrees", error.Message);
    }

    [SharedFact]
    public void AGraphThatIsNotABertEncoderIsRefused()
    {
        // An image-classifier-like graph: a convolution and a fully connected layer, none of a transformer's weights.
        var model = new ModelProto { IrVersion = 8, Graph = new GraphProto { Name = "cnn" } };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        model.Graph.Initializer.Add(FloatInitializer("conv1.weight", 8, 3, 3, 3));
        model.Graph.Initializer.Add(FloatInitializer("fc.weight", 10, 8));
        model.Graph.Initializer.Add(FloatInitializer("fc.bias", 10));
        model.Graph.Node.Add(Node("Conv", ["pixels", "conv1.weight"], ["features"]));
        model.Graph.Node.Add(Node("Gemm", ["features", "fc.weight", "fc.bias"], ["logits"]));
        var file = Write(model);
        var error = Assert.Throws<InvalidDataException>(() => OnnxCheckpointReader.DeriveConfig(file));
        Assert.Contains(file, error.Message);
        Assert.Contains("embeddings.word_embeddings.weight", error.Message);
    }

    [SharedFact]
    public void AnAnonymousWeightOutsideAnyLinearLayerIsNamed()
    {
        // GPT-2 style: a weight multiplied in without a named bias after it (as its tied LM head is).
        var model = Original();
        model.Graph.Initializer.Add(FloatInitializer("onnx::MatMul_9999", 32, 98));
        model.Graph.Node.Add(Node("MatMul", ["last_hidden_state", "onnx::MatMul_9999"], ["lm_logits"]));
        var error = Assert.Throws<InvalidDataException>(() => OnnxCheckpointReader.Read(Write(model)));
        Assert.Contains("'onnx::MatMul_9999'", error.Message);
    }

    [SharedFact]
    public void HalfPrecisionAndExternalDataReadLikeTheOriginal()
    {
        using var scope = torch.NewDisposeScope();
        using var original = OnnxCheckpointReader.Read(Source);
        var model = Original();
        var external = model.Graph.Initializer.Single(t => t.Name == AnonymousWeightFeeding(model, QueryBias));
        File.WriteAllBytes(temp.File("weights.bin"), [.. new byte[16], .. external.RawData.ToByteArray()]);
        external.DataLocation = TensorProto.Types.DataLocation.External;
        external.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        external.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "16" });
        external.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = external.RawData.Length.ToString() });
        external.RawData = ByteString.Empty;
        var half = model.Graph.Initializer.Single(t => t.Name == "embeddings.word_embeddings.weight");
        var singles = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(half.RawData.Span).ToArray();
        half.DataType = (int)TensorProto.Types.DataType.Float16;
        half.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(singles.Select(v => (Half)v).ToArray().AsSpan()));

        using var read = OnnxCheckpointReader.Read(Write(model));
        Assert.Equal(original.Keys.Order(), read.Keys.Order());
        var name = QueryBias.Replace(".bias", ".weight");
        Assert.True(original[name].allclose(read[name], rtol: 0, atol: 0), $"{name} (external data) differs");
        Assert.True(original["embeddings.word_embeddings.weight"].allclose(read["embeddings.word_embeddings.weight"], rtol: 1e-3, atol: 1e-4));
    }

    [SharedFact]
    public void ExternalDataOutsideTheModelFolderIsRefused()
    {
        var model = Original();
        var weight = model.Graph.Initializer.Single(t => t.Name == AnonymousWeightFeeding(model, QueryBias));
        weight.DataLocation = TensorProto.Types.DataLocation.External;
        weight.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "../../etc/passwd" });
        weight.RawData = ByteString.Empty;
        var error = Assert.Throws<InvalidDataException>(() => OnnxCheckpointReader.Read(Write(model)));
        Assert.Contains($"'{weight.Name}'", error.Message);
        Assert.Contains("outside the model's folder", error.Message);
    }

    [SharedTheory]
    [InlineData("bert", "BertModel")]
    [InlineData("bert", "BertForSequenceClassification")]
    [InlineData("roberta", "RobertaModel")]
    [InlineData("roberta", "RobertaForSequenceClassification")]
    [InlineData("distilbert", "DistilBertModel")]
    [InlineData("distilbert", "DistilBertForSequenceClassification")]
    public void TheDerivedConfigEqualsTheFixturesConfigJson(string family, string modelClass)
    {
        var folder = ModelFolder(family, modelClass);
        var expected = EncoderConfig.Load(folder);
        var (derived, assumed) = OnnxCheckpointReader.DeriveConfig(Path.Combine(folder, "model.onnx"));
        Assert.Equal(expected.Family, derived.Family);
        Assert.Equal(
            (expected.VocabSize, expected.HiddenSize, expected.NumLayers, expected.NumAttentionHeads, expected.IntermediateSize,
             expected.MaxPositionEmbeddings, expected.TypeVocabSize, expected.PadTokenId, expected.LayerNormEps, expected.HiddenAct),
            (derived.VocabSize, derived.HiddenSize, derived.NumLayers, derived.NumAttentionHeads, derived.IntermediateSize,
             derived.MaxPositionEmbeddings, derived.TypeVocabSize, derived.PadTokenId, derived.LayerNormEps, derived.HiddenAct));
        if (modelClass.EndsWith("ForSequenceClassification", StringComparison.Ordinal)) Assert.Equal(expected.NumLabels, derived.NumLabels);
        Assert.Contains(assumed, note => note.Contains("dropout", StringComparison.Ordinal));
    }

    private static TensorProto FloatInitializer(string name, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(new byte[dims.Aggregate(4L, (a, b) => a * b)]);
        return tensor;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { OpType = op, Name = op };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        return node;
    }
}
