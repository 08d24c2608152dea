using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using TorchSharp;
using static TorchSharp.torch;
using static Microsoft.ML.DeltaLoRA.Tests.Modeling.HuggingFaceFixtures;
using Microsoft.ML.DeltaLoRA.Modeling;

using Microsoft.ML.DeltaLoRA.Tests.Modeling.MaskedLM;

namespace Microsoft.ML.DeltaLoRA.Tests.Checkpoints;

public class SafetensorsTests
{
    /// <summary>transformers wrote each fixture twice, as safetensors and as a torch pickle: both readers must agree on every tensor.</summary>
    [SharedTheory]
    [InlineData("bert", "BertForMaskedLM")]
    [InlineData("roberta", "RobertaForSequenceClassification")]
    [InlineData("distilbert", "DistilBertForMaskedLM")]
    [InlineData("bert", "BertModel")]
    public void SafetensorsAndPickleHoldTheSameTensors(string family, string modelClass)
    {
        using var safetensors = SafetensorsReader.Read(Path.Combine(ModelFolder(family, modelClass), "model.safetensors"));
        using var pickle = PyTorchCheckpointReader.Read(Path.Combine(ModelFolder(family, modelClass, pytorchBin: true), "pytorch_model.bin"));
        Assert.NotEmpty(safetensors.Keys);
        foreach (var (name, tensor) in safetensors)
        {
            Assert.Equal(ScalarType.Float32, tensor.dtype);
            Assert.True(pickle.ContainsKey(name), $"the pickle lacks {name}");
            AssertClose(tensor, pickle[name], 0, name);
        }
        // The pickle also stores the tied decoder weights (the same storage as the word embeddings) that safetensors leaves out.
        foreach (var extra in pickle.Keys.Except(safetensors.Keys))
            Assert.True(extra.EndsWith("decoder.weight") || extra.EndsWith("decoder.bias") || extra == "vocab_projector.weight", extra);
    }

    /// <summary>Half-precision bit patterns from the IEEE 754 and bfloat16 definitions decode to their exact values.</summary>
    [Fact]
    public void DecodesF16AndBF16BitPatterns()
    {
        // F16: 1.0 = 0x3C00, -2.0 = 0xC000, 65504 (largest) = 0x7BFF, 2^-24 (smallest subnormal) = 0x0001.
        ushort[] f16 = [0x3C00, 0xC000, 0x7BFF, 0x0001];
        // BF16 (upper half of a float32): 1.0 = 0x3F80, -3.0 = 0xC040, 3.140625 = 0x4049, 2^-126 = 0x0080.
        ushort[] bf16 = [0x3F80, 0xC040, 0x4049, 0x0080];
        var data = new byte[16];
        for (int i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2 * i), f16[i]);
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(8 + 2 * i), bf16[i]);
        }
        var header = """{"half":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},"brain":{"dtype":"BF16","shape":[4],"data_offsets":[8,16]},"__metadata__":{"format":"pt"}}""";
        using var stream = new MemoryStream(RawSafetensors.Compose(Encoding.UTF8.GetBytes(header), data));
        using var tensors = SafetensorsReader.Read(stream, "hand-made");
        Assert.Equal(new long[] { 2, 2 }, tensors["half"].shape);
        Assert.Equal(ScalarType.Float32, tensors["half"].dtype);
        Assert.Equal(new[] { 1f, -2f, 65504f, MathF.Pow(2, -24) }, tensors["half"].data<float>().ToArray());
        Assert.Equal(new[] { 1f, -3f, 3.140625f, MathF.Pow(2, -126) }, tensors["brain"].data<float>().ToArray());
    }

    [Fact]
    public void WriterLaysOutAValidFileThatReadsBack()
    {
        using var scope = torch.NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["b.weight"] = torch.tensor(new[] { 1.5f, -2.25f, 3f, 0f, 1e-8f, -7f }, [2, 3]),
            ["a.bias"] = torch.tensor(new[] { 0.5f }, [1]),
            ["c.ids"] = torch.tensor(new long[] { 3, 1, 4 }),
            ["d.scalar"] = torch.tensor(2.5f),
        };
        using var stream = new MemoryStream();
        SafetensorsWriter.Write(stream, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        var bytes = stream.ToArray();

        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + headerLength) % 8);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, headerLength))!.AsObject();
        Assert.Equal("pt", header["__metadata__"]!["format"]!.GetValue<string>());
        Assert.Equal("F32", header["b.weight"]!["dtype"]!.GetValue<string>());
        Assert.Equal("I64", header["c.ids"]!["dtype"]!.GetValue<string>());
        // Name order, contiguous from 0, float32 little-endian values.
        Assert.Equal("[0,4]", header["a.bias"]!["data_offsets"]!.ToJsonString());
        Assert.Equal("[4,28]", header["b.weight"]!["data_offsets"]!.ToJsonString());
        Assert.Equal("[28,52]", header["c.ids"]!["data_offsets"]!.ToJsonString());
        Assert.Equal("[52,56]", header["d.scalar"]!["data_offsets"]!.ToJsonString());
        Assert.Equal(-2.25f, BitConverter.ToSingle(bytes, 8 + headerLength + 4 + 4));
        Assert.Equal(8 + headerLength + 56, bytes.Length);

        stream.Position = 0;
        using var read = SafetensorsReader.Read(stream, "written");
        foreach (var (name, tensor) in tensors)
        {
            Assert.Equal(tensor.shape, read[name].shape);
            Assert.Equal(tensor.dtype, read[name].dtype);
            Assert.True(tensor.equal(read[name]).all().item<bool>(), name);
        }
    }

    [Fact]
    public void WriterStoresHalfPrecisionWhenAsked()
    {
        using var scope = torch.NewDisposeScope();
        var tensors = new Dictionary<string, Tensor> { ["w"] = torch.tensor(new[] { 1f, -2f, 0.1f }) };
        foreach (var (dtype, name, expected) in new[] { (SafetensorsDType.F16, "F16", (ushort)0x2E66), (SafetensorsDType.BF16, "BF16", (ushort)0x3DCD) })
        {
            using var stream = new MemoryStream();
            SafetensorsWriter.Write(stream, tensors, dtype: dtype);
            var bytes = stream.ToArray();
            var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            Assert.Contains($"\"dtype\":\"{name}\"", Encoding.UTF8.GetString(bytes, 8, headerLength));
            // 0.1 rounds to 0x2E66 in F16 and to 0x3DCD in BF16 (round to nearest even).
            Assert.Equal(expected, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8 + headerLength + 4)));
        }
    }

    /// <summary>F16 and BF16 copies of a checkpoint load as float32 and give transformers' outputs within half-precision error.</summary>
    [SharedTheory]
    [InlineData("bert", "BertForSequenceClassification", "F16", 1e-2)]
    [InlineData("bert", "BertForSequenceClassification", "BF16", 6e-2)]
    [InlineData("roberta", "RobertaModel", "F16", 1e-2)]
    [InlineData("distilbert", "DistilBertForMaskedLM", "BF16", 6e-2)]
    public void HalfPrecisionCopiesLoad(string family, string modelClass, string dtypeName, double tolerance)
    {
        var dtype = Enum.Parse<SafetensorsDType>(dtypeName);
        var source = ModelFolder(family, modelClass);
        using var temp = new TempFolder();
        CopyConfig(source, temp.Path);
        using (var original = SafetensorsReader.Read(Path.Combine(source, "model.safetensors")))
        using (var file = File.Create(temp.File("model.safetensors")))
            SafetensorsWriter.Write(file, original, dtype: dtype);
        Assert.Contains($"\"dtype\":\"{dtype}\"", File.ReadAllText(temp.File("model.safetensors")));

        var expected = Case(family, modelClass, "tokenized_texts");
        var outputs = expected.GetProperty("outputs");
        using var batch = Batch(expected.GetProperty("inputs"));
        using var noGrad = torch.no_grad();
        using var model = ModelStructureTests.Load(temp.Path, modelClass);
        using var result = model switch
        {
            Microsoft.ML.DeltaLoRA.Modeling.IPretrainedTaskModel task => task.Run(batch, outputHiddenStates: true).Encoder,
            Microsoft.ML.DeltaLoRA.Modeling.PretrainedEncoder encoder => encoder.Encode(batch, outputHiddenStates: true),
            _ => throw new InvalidOperationException(),
        };
        using var expectedLast = FloatTensor(outputs.GetProperty("hidden_states").GetProperty("float32")[3]);
        AssertClose(expectedLast, result.HiddenStates[3], tolerance, $"{dtype} last hidden state");
        // Not exactly float32 either: the rounding really happened.
        using var difference = (expectedLast - result.HiddenStates[3]).abs().max();
        Assert.True(difference.item<float>() > 1e-5f);
    }

    /// <summary>A checkpoint split into two shards with an index loads like the single file.</summary>
    [SharedFact]
    public void ShardedCheckpointLoads()
    {
        var source = ModelFolder("bert", "BertForSequenceClassification");
        using var temp = new TempFolder();
        CopyConfig(source, temp.Path);
        var weightMap = WriteShards(Path.Combine(source, "model.safetensors"), temp.Path);
        Assert.Equal(2, weightMap.Select(p => p.Value).Distinct().Count());
        Assert.False(File.Exists(temp.File("model.safetensors")));

        var config = EncoderConfig.Load(temp.Path);
        using var model = Microsoft.ML.DeltaLoRA.Modeling.PretrainedModels.LoadSequenceClassifier(temp.Path, config.NumLabels);
        foreach (var caseName in CaseNames("bert", "BertForSequenceClassification"))
        {
            var expected = Case("bert", "BertForSequenceClassification", caseName);
            using var batch = Batch(expected.GetProperty("inputs"));
            using var noGrad = torch.no_grad();
            using var logits = model.forward(batch);
            using var expectedLogits = FloatTensor(expected.GetProperty("outputs").GetProperty("logits").GetProperty("float32"));
            AssertClose(expectedLogits, logits, 1e-4, $"{caseName} logits");
        }
        using var weights = CheckpointWeights.Read(temp.Path);
        Assert.Equal(2, weights.SourceFiles.Count);
    }

    /// <summary>Writes the tensors of <paramref name="file"/> as two shards and an index; returns the index's weight map.</summary>
    internal static Dictionary<string, string> WriteShards(string file, string folder)
    {
        using var tensors = SafetensorsReader.Read(file);
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToArray();
        var weightMap = new Dictionary<string, string>();
        var shards = new[] { names[..(names.Length / 2)], names[(names.Length / 2)..] };
        for (int i = 0; i < shards.Length; i++)
        {
            var shardName = $"model-{i + 1:00000}-of-00002.safetensors";
            using (var stream = File.Create(Path.Combine(folder, shardName)))
                SafetensorsWriter.Write(stream, shards[i].Select(name => new KeyValuePair<string, Tensor>(name, tensors[name])));
            foreach (var name in shards[i]) weightMap[name] = shardName;
        }
        var index = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = 0 },
            ["weight_map"] = new JsonObject(weightMap.Select(p => new KeyValuePair<string, JsonNode?>(p.Key, p.Value))),
        };
        File.WriteAllText(Path.Combine(folder, CheckpointWeights.SafetensorsIndexFile), index.ToJsonString());
        return weightMap;
    }
}
