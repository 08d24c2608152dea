using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.UseLite;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Tests.UseLite;

/// <summary>
/// The TF.js graph-model reader on small models written here byte by byte (values known in advance), and its errors
/// on damaged copies of the real model.
/// </summary>
public sealed class TfjsGraphModelTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tfjs-reader-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void ReadsEveryDtypeAndQuantizationAcrossShardsAndGroups()
    {
        WriteSyntheticModel();
        using var model = TfjsGraphModel.Open(folder);

        Assert.Equal(["Placeholder", "MatMul"], model.Nodes.Select(n => n.Op));
        Assert.Equal(["x", "a"], model.Nodes[1].Inputs);

        using var a = model.ReadTensor("a", 2, 3);
        Assert.Equal(ScalarType.Float32, a.dtype);
        Assert.Equal([1.5f, -2f, 3.25f, 0f, 1e-3f, -7f], a.data<float>().ToArray());

        using var b = model.ReadTensor("b");
        Assert.Equal(ScalarType.Int32, b.dtype);
        Assert.Equal([-5, 123456789], b.data<int>().ToArray());

        // uint8: q·scale + min with q = 0, 1, 2, 255, scale 0.5, min −1.
        using var c = model.ReadTensor("c");
        Assert.Equal([-1f, -0.5f, 0f, 126.5f], c.data<float>().ToArray());

        using var d = model.ReadTensor("d");
        Assert.Equal([1.5f, -2.25f, 65504f], d.data<float>().ToArray());

        using var e = model.ReadTensor("e");
        Assert.Equal(ScalarType.Bool, e.dtype);
        Assert.Equal([true, false, true], e.data<bool>().ToArray());

        // uint16 quantized int32: round(q·0.25 − 3) half up, like JavaScript's Math.round: q = 2 → −2.5 → −2; q = 14 → 0.5 → 1.
        using var f = model.ReadTensor("f");
        Assert.Equal([-2, 1, 16381], f.data<int>().ToArray());

        using var g = model.ReadTensor("g");
        Assert.Empty(g.shape);
        Assert.Equal(42f, g.item<float>());
    }

    [Fact]
    public void TruncatedShardIsReportedWithItsGroupAndByteCounts()
    {
        WriteSyntheticModel();
        var shard = Path.Combine(folder, "group1-shard2of2");
        var bytes = File.ReadAllBytes(shard);
        File.WriteAllBytes(shard, bytes[..^3]);
        using var model = TfjsGraphModel.Open(folder);
        var error = Assert.Throws<InvalidDataException>(() => model.ReadTensor("a"));
        Assert.Contains("group1-shard2of2", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void ExtraBytesInAGroupAreAnError()
    {
        WriteSyntheticModel();
        File.AppendAllText(Path.Combine(folder, "group2-shard1of1"), "xx");
        using var model = TfjsGraphModel.Open(folder);
        var error = Assert.Throws<InvalidDataException>(() => model.ReadTensor("g"));
        Assert.Contains("group2-shard1of1", error.Message);
        Assert.Contains("holds 6 bytes", error.Message);
        Assert.Contains("exactly 4", error.Message);
    }

    [Fact]
    public void MissingShardIsNamed()
    {
        WriteSyntheticModel();
        File.Delete(Path.Combine(folder, "group1-shard1of2"));
        using var model = TfjsGraphModel.Open(folder);
        var error = Assert.Throws<FileNotFoundException>(() => model.ReadTensor("b"));
        Assert.Contains("group1-shard1of2", error.Message);
        // The other group is unaffected.
        using var g = model.ReadTensor("g");
        Assert.Equal(42f, g.item<float>());
    }

    [Fact]
    public void UnknownNamesWrongShapesAndUnsupportedDtypesAreNamed()
    {
        WriteSyntheticModel(extraWeight: new JsonObject { ["name"] = "h", ["shape"] = new JsonArray(1), ["dtype"] = "float64" });
        using var model = TfjsGraphModel.Open(Path.Combine(folder, "model.json"));
        var unknown = Assert.Throws<InvalidDataException>(() => model.ReadTensor("nope"));
        Assert.Contains("'nope'", unknown.Message);
        var shape = Assert.Throws<InvalidDataException>(() => model.ReadTensor("a", 3, 2));
        Assert.Contains("'a'", shape.Message);
        Assert.Contains("[2, 3]", shape.Message);
        Assert.Contains("expected [3, 2]", shape.Message);
        var dtype = Assert.Throws<InvalidDataException>(() => model.ReadTensor("h"));
        Assert.Contains("'h'", dtype.Message);
        Assert.Contains("float64", dtype.Message);
    }

    [Fact]
    public void MalformedModelJsonIsNamed()
    {
        var modelJson = Path.Combine(folder, "model.json");
        File.WriteAllText(modelJson, "{\"modelTopology\": {\"node\": [");
        var invalid = Assert.Throws<InvalidDataException>(() => TfjsGraphModel.Open(folder));
        Assert.Contains(modelJson, invalid.Message);

        File.WriteAllText(modelJson, "{\"modelTopology\": {\"node\": []}}");
        var noManifest = Assert.Throws<InvalidDataException>(() => TfjsGraphModel.Open(folder));
        Assert.Contains("weightsManifest", noManifest.Message);

        File.WriteAllText(modelJson, "{\"modelTopology\": {\"class_name\": \"Sequential\"}, \"weightsManifest\": []}");
        var layersModel = Assert.Throws<InvalidDataException>(() => TfjsGraphModel.Open(folder));
        Assert.Contains("graph model", layersModel.Message);

        File.Delete(modelJson);
        var missing = Assert.Throws<FileNotFoundException>(() => TfjsGraphModel.Open(folder));
        Assert.Contains(modelJson, missing.Message);
    }

    [UseLiteModelFact]
    public void DamagedCopiesOfTheRealModelFailToLoadNamingTheFile()
    {
        string copy = UseLiteTestEnvironment.CopyModelToTemp();
        try
        {
            var lastShard = Path.Combine(copy, "group1-shard7of7");
            var bytes = File.ReadAllBytes(lastShard);
            File.WriteAllBytes(lastShard, bytes[..^1024]);
            var truncated = Assert.Throws<InvalidDataException>(() => UseLiteEncoder.FromPretrained(copy));
            Assert.Contains("group1-shard7of7", truncated.Message);
            Assert.Contains("truncated", truncated.Message);

            File.WriteAllBytes(lastShard, bytes);
            File.Delete(Path.Combine(copy, "group1-shard3of7"));
            var missing = Assert.Throws<FileNotFoundException>(() => UseLiteEncoder.FromPretrained(copy));
            Assert.Contains("group1-shard3of7", missing.Message);
            File.Copy(Path.Combine(UseLiteTestEnvironment.EnsureModel(), "group1-shard3of7"), Path.Combine(copy, "group1-shard3of7"));

            var modelJson = Path.Combine(copy, "model.json");
            var text = File.ReadAllText(modelJson);
            File.WriteAllText(modelJson, text[..(text.Length / 2)]);
            var cut = Assert.Throws<InvalidDataException>(() => UseLiteEncoder.FromPretrained(copy));
            Assert.Contains("model.json", cut.Message);

            // A manifest whose tanh-layer kernel has another shape (same byte count) is caught by name.
            var manifest = JsonNode.Parse(text)!;
            var kernel = manifest["weightsManifest"]![0]!["weights"]!.AsArray()
                .Single(w => (string?)w!["name"] == "module/Encoder_en/hidden_layers/tanh_layer_0/weights")!;
            kernel["shape"] = new JsonArray(256, 1024);
            File.WriteAllText(modelJson, manifest.ToJsonString());
            var reshaped = Assert.Throws<InvalidDataException>(() => UseLiteEncoder.FromPretrained(copy));
            Assert.Contains("tanh_layer_0/weights", reshaped.Message);
            Assert.Contains("[256, 1024]", reshaped.Message);
            Assert.Contains("expected [512, 512]", reshaped.Message);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [UseLiteModelFact]
    public void RealGraphHasTheStructureTheEncoderImplements()
    {
        using var graph = TfjsGraphModel.Open(UseLiteTestEnvironment.EnsureModel());
        Assert.Equal([8002L, 256L], graph.GetSpec("module/Embeddings_en").Shape);
        Assert.All(graph.Weights.Values, w => Assert.Null(w.Quantization));
        Assert.All(graph.Weights.Values, w => Assert.Contains(w.DType, new[] { "float32", "int32" }));
        var ops = graph.Nodes.GroupBy(n => n.Op).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(2, ops["Softmax"]);   // two attention layers
        Assert.Equal(2, ops["Relu"]);      // two feed-forward blocks
        Assert.Equal(1, ops["Tanh"]);      // the final tanh layer
        Assert.Equal(1, ops["Sin"]);       // one timing signal
        Assert.Equal(4, ops["Conv2D"]);    // fused qkv and output projections of two layers
        // Layer 0 attends in 256 dimensions, layer 1 in 512: the layers do not share weights.
        Assert.Equal([1L, 1L, 256L, 768L], graph.GetSpec("module/Encoder_en/KonaTransformer/Encode/Layer_0/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0").Shape);
        Assert.Equal([1L, 1L, 512L, 1536L], graph.GetSpec("module/Encoder_en/KonaTransformer/Encode/Layer_1/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0").Shape);
    }

    /// <summary>
    /// Group 1 (two shards, split inside weight 'b'): a float32 [2,3], b int32 [2], c uint8-quantized float32 [4],
    /// d float16-quantized [3], e bool [3], f uint16-quantized int32 [3]; group 2 (one shard): g float32 scalar.
    /// </summary>
    private void WriteSyntheticModel(JsonObject? extraWeight = null)
    {
        var group1 = new List<byte>();
        foreach (float v in new[] { 1.5f, -2f, 3.25f, 0f, 1e-3f, -7f }) group1.AddRange(LittleEndian(v));
        foreach (int v in new[] { -5, 123456789 }) group1.AddRange(LittleEndian(v));
        group1.AddRange(new byte[] { 0, 1, 2, 255 });
        foreach (float v in new[] { 1.5f, -2.25f, 65504f })
        {
            var half = new byte[2];
            BinaryPrimitives.WriteHalfLittleEndian(half, (Half)v);
            group1.AddRange(half);
        }
        group1.AddRange(new byte[] { 1, 0, 7 });
        foreach (ushort q in new ushort[] { 2, 14, 65535 })
        {
            var bytes = new byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(bytes, q);
            group1.AddRange(bytes);
        }
        if (extraWeight is not null) group1.AddRange(new byte[8]);
        var all = group1.ToArray();
        File.WriteAllBytes(Path.Combine(folder, "group1-shard1of2"), all[..28]);
        File.WriteAllBytes(Path.Combine(folder, "group1-shard2of2"), all[28..]);
        File.WriteAllBytes(Path.Combine(folder, "group2-shard1of1"), LittleEndian(42f));

        static JsonObject Weight(string name, string dtype, JsonObject? quantization, params int[] shape)
        {
            var weight = new JsonObject { ["name"] = name, ["shape"] = new JsonArray(shape.Select(s => (JsonNode)s).ToArray()), ["dtype"] = dtype };
            if (quantization is not null) weight["quantization"] = quantization;
            return weight;
        }
        var weights1 = new JsonArray(
            Weight("a", "float32", null, 2, 3),
            Weight("b", "int32", null, 2),
            Weight("c", "float32", new JsonObject { ["dtype"] = "uint8", ["scale"] = 0.5, ["min"] = -1.0 }, 4),
            Weight("d", "float32", new JsonObject { ["dtype"] = "float16" }, 3),
            Weight("e", "bool", null, 3),
            Weight("f", "int32", new JsonObject { ["dtype"] = "uint16", ["scale"] = 0.25, ["min"] = -3.0, ["original_dtype"] = "int32" }, 3));
        if (extraWeight is not null) weights1.Add(extraWeight);
        var model = new JsonObject
        {
            ["format"] = "graph-model",
            ["modelTopology"] = new JsonObject
            {
                ["node"] = new JsonArray(
                    new JsonObject { ["name"] = "x", ["op"] = "Placeholder" },
                    new JsonObject { ["name"] = "y", ["op"] = "MatMul", ["input"] = new JsonArray("x", "a") }),
            },
            ["weightsManifest"] = new JsonArray(
                new JsonObject { ["paths"] = new JsonArray("group1-shard1of2", "group1-shard2of2"), ["weights"] = weights1 },
                new JsonObject { ["paths"] = new JsonArray("group2-shard1of1"), ["weights"] = new JsonArray(Weight("g", "float32", null)) }),
        };
        File.WriteAllText(Path.Combine(folder, "model.json"), model.ToJsonString());
    }

    private static byte[] LittleEndian(float value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] LittleEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }
}
