using Google.Protobuf;
using Microsoft.ML.DeltaLoRA.Checkpoints.Onnx;
using Microsoft.ML.DeltaLoRA.Export;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Pretrained;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using Xunit.Abstractions;

namespace Microsoft.ML.DeltaLoRA.Tests.Export;

/// <summary>
/// The ONNX export against ONNX Runtime: the exported graph, run by ORT, gives our transformer's logits (and their softmax) within
/// 1e-4 on 200 real SST-2 dev sentences and 200 MRPC dev pairs (cross-encoder, and bi-encoder for BERT), for every family and BERT
/// pooling; our own ONNX
/// reader reads the export back to the same weights and config; and models that cannot be exported fail clearly, leaving no file.
/// </summary>
public class OnnxExportTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;
    private const int Rows = 200;
    /// <summary>Tokens per row: the fixtures' 64 positions (RoBERTa's 66 less its padding offset), so that many rows are truncated.</summary>
    private const int MaxSequenceLength = 64;

    /// <summary>Family, pooling (null: the head's own) and the GLUE task whose dev rows are scored.</summary>
    public static TheoryData<string, SentencePooling?, string> FixtureCases => new()
    {
        { "bert", null, "sst2" },
        { "bert", SentencePooling.ClsToken, "sst2" },
        { "bert", SentencePooling.MeanOfTokens, "sst2" },
        { "bert", null, "mrpc" },
        { "roberta", null, "sst2" },
        { "roberta", null, "mrpc" },
        { "distilbert", null, "sst2" },
        { "distilbert", null, "mrpc" },
    };

    [SharedTheory]
    [MemberData(nameof(FixtureCases))]
    public void OnnxRuntimeScoresTheExportAsOurTransformerDoes(string family, SentencePooling? pooling, string task)
    {
        using var model = TextClassificationModel.LoadPretrained(FixtureFolder(family), numLabels: 3, pooling: pooling);
        AssertExportScoresAsOurs(model, task, $"{family} {pooling?.ToString() ?? "default"} pooling on {task}");
    }

    [NamedModelTheory("minilm")]
    [InlineData("sst2")]
    [InlineData("mrpc")]
    public void OnnxRuntimeScoresTheExportedMiniLMAsOurTransformerDoes(string task)
    {
        using var model = TextClassificationModel.LoadPretrained("minilm", numLabels: 2);
        AssertExportScoresAsOurs(model, task, $"MiniLM ({model.Network.Pooling}) on {task}");
    }

    [SharedFact]
    public void ARegressionExportHasLogitsOnly()
    {
        using var model = TextClassificationModel.LoadPretrained(FixtureFolder("bert"), numLabels: 1);
        using var folder = new TemporaryFolder();
        var path = Export(model, folder);

        using var session = new InferenceSession(path);
        Assert.Equal(["logits"], session.OutputMetadata.Keys);
        Assert.Equal([-1, 1], session.OutputMetadata["logits"].Dimensions);
        var texts = GlueRows("sst2").Take(20).ToArray();
        var (logits, _) = OnnxRuntimeScores(session, model, texts);
        var ours = model.PredictRaw(texts.Select(t => (string?)t.Text1).ToArray(), null, MaxSequenceLength, batchSize: 8);
        Assert.True(MaxAbsoluteDifference(ours, logits) < Tolerance);
    }

    [SharedTheory]
    [InlineData("bert", SentencePairEncoding.CrossEncoder)]
    [InlineData("bert", SentencePairEncoding.BiEncoder)]
    [InlineData("roberta", SentencePairEncoding.CrossEncoder)]
    [InlineData("distilbert", SentencePairEncoding.CrossEncoder)]
    public void OurOnnxReaderReadsTheExportBack(string family, SentencePairEncoding pairEncoding)
    {
        using var model = TextClassificationModel.LoadPretrained(FixtureFolder(family), numLabels: 3, pairEncoding: pairEncoding);
        using var folder = new TemporaryFolder();
        var path = Export(model, folder);

        var (weights, config, _) = OnnxCheckpointReader.ReadWithDerivedConfig(path);
        using (weights)
        {
            var expected = ((IPretrainedTaskModel)model.Network).Config.WithNumLabels(3);
            Assert.Equal(
                (expected.Family, expected.VocabSize, expected.HiddenSize, expected.NumLayers, expected.NumAttentionHeads, expected.IntermediateSize,
                    expected.MaxPositionEmbeddings, expected.TypeVocabSize, expected.HiddenAct, expected.NumLabels),
                (config.Family, config.VocabSize, config.HiddenSize, config.NumLayers, config.NumAttentionHeads, config.IntermediateSize,
                    config.MaxPositionEmbeddings, config.TypeVocabSize, config.HiddenAct, config.NumLabels));
            Assert.Equal((float)expected.LayerNormEps, (float)config.LayerNormEps);

            var ours = ModuleTensors.Export(model.Network);
            Assert.Equal(ours.Keys.Order(StringComparer.Ordinal), weights.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, tensor) in ours)
            {
                using var expectedValues = tensor.detach().to(torch.ScalarType.Float32);
                Assert.True(expectedValues.allclose(weights[name], rtol: 0, atol: 0), $"the weight '{name}' read back differs from the model's");
            }
        }
    }

    /// <summary>
    /// ONNX Runtime's own graph optimizations (what any ORT session applies at ORT_ENABLE_ALL) fuse the residual LayerNorms and the
    /// GELUs of the export. Its runtime attention fusion does not fire: its mask pattern requires Cast-9 and Unsqueeze-1/11 (axes as
    /// an attribute), which no opset ≥ 13 graph can have. The offline <c>onnxruntime.transformers</c> optimizer, which fuses attention
    /// in opset 13+ torch.onnx exports, is Python and not run here.
    /// </summary>
    [SharedTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    [InlineData("distilbert")]
    public void OnnxRuntimeFusesTheExportedGraph(string family)
    {
        using var model = TextClassificationModel.LoadPretrained(FixtureFolder(family), numLabels: 2);
        using var folder = new TemporaryFolder();
        var path = Export(model, folder);
        var optimizedPath = Path.Combine(folder.Path, "optimized.onnx");
        using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, OptimizedModelFilePath = optimizedPath })
        using (new InferenceSession(path, options)) { }

        // The export itself is standard ONNX: no node or opset import outside the default domain (ORT's contrib ops appear only once it optimizes).
        var exported = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        Assert.All(exported.Graph.Node, n => Assert.Equal("", n.Domain));
        Assert.Equal([""], exported.OpsetImport.Select(o => o.Domain));
        Assert.Contains(exported.Graph.Node, n => n.OpType == "Softmax" && n.Output[0] != "probabilities");

        var optimized = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimizedPath));
        var opTypes = optimized.Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"{family}: {string.Join(", ", opTypes.OrderBy(p => p.Key).Select(p => $"{p.Key}×{p.Value}"))}");

        // Every LayerNorm follows an Add (the embeddings' sum, then each block's residual): all 2·layers + 1 become SkipLayerNormalization.
        var layers = ((IPretrainedTaskModel)model.Network).Config.NumLayers;
        Assert.Equal(2 * layers + 1, opTypes.GetValueOrDefault("SkipLayerNormalization"));
        Assert.False(opTypes.ContainsKey("LayerNormalization"), "a LayerNormalization was left unfused");
        // The erf GELU of every feed-forward block becomes one Gelu (with its bias: BiasGelu); no Erf is left.
        Assert.Equal(layers, opTypes.GetValueOrDefault("BiasGelu") + opTypes.GetValueOrDefault("Gelu"));
        Assert.False(opTypes.ContainsKey("Erf"), "an Erf was left unfused");
    }

    /// <summary>
    /// The scoring engine's session (<c>OnnxRuntimeScoringEngine.CreateSessionOptions</c>) on the engine's graph: ORT's attention
    /// and GELU kernels, but every LayerNorm left as LayerNormalization after its Add, because the engine turns off ORT's
    /// SkipLayerNormFusion (its CPU kernel is slower). Fails if ORT renames the rewrite and the setting silently stops applying.
    /// </summary>
    [SharedFact]
    public void TheScoringEnginesSessionLeavesTheLayerNormsUnfused()
    {
        using var model = TextClassificationModel.LoadPretrained(FixtureFolder("bert"), numLabels: 2);
        using var folder = new TemporaryFolder();
        var optimizedPath = Path.Combine(folder.Path, "optimized.onnx");
        using (var options = Microsoft.ML.DeltaLoRA.MLNet.OnnxRuntimeScoringEngine.CreateSessionOptions())
        {
            options.OptimizedModelFilePath = optimizedPath;
            using var session = new InferenceSession(OnnxExport.Build(model, fusedAttention: true).ToByteArray(), options);
        }

        var opTypes = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimizedPath)).Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine(string.Join(", ", opTypes.OrderBy(p => p.Key).Select(p => $"{p.Key}×{p.Value}")));
        var layers = ((IPretrainedTaskModel)model.Network).Config.NumLayers;
        Assert.False(opTypes.ContainsKey("SkipLayerNormalization"), "a LayerNorm was fused into SkipLayerNormalization");
        Assert.Equal(2 * layers + 1, opTypes.GetValueOrDefault("LayerNormalization"));
        Assert.Equal(layers, opTypes.GetValueOrDefault("Attention"));
        Assert.Equal(layers, opTypes.GetValueOrDefault("BiasGelu") + opTypes.GetValueOrDefault("Gelu"));
    }

    [SharedFact]
    public void ANonFiniteWeightIsRefusedAndTheOldFileStays()
    {
        using var model = TextClassificationModel.LoadPretrained(FixtureFolder("bert"), numLabels: 2);
        using (torch.no_grad())
        {
            var weight = ModuleTensors.Export(model.Network)["bert.encoder.layer.1.attention.self.key.weight"];
            using var nan = torch.tensor(float.NaN);
            weight[0, 0] = nan;
        }
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "model.onnx");
        File.WriteAllText(path, "an earlier export");

        var error = Assert.Throws<InvalidDataException>(() => OnnxExport.Write(model, path));

        Assert.Contains("bert.encoder.layer.1.attention.self.key.weight", error.Message);
        Assert.Contains("not finite", error.Message);
        Assert.Equal("an earlier export", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(folder.Path));
    }

    [SharedFact]
    public void AnUnmergedAdapterIsRefusedAndNoFileIsWritten()
    {
        using var model = TextClassificationModel.LoadPretrained(FixtureFolder("bert"), numLabels: 2);
        var query = model.Network.named_modules().First(m => m.name.EndsWith("layer.0.attention.self.query", StringComparison.Ordinal)).module;
        ((LoRALinear)query).AttachAdapter(rank: 2, alpha: 4);
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "model.onnx");

        var error = Assert.Throws<InvalidOperationException>(() => OnnxExport.Write(model, path));

        Assert.Contains("bert.encoder.layer.0.attention.self.query", error.Message);
        Assert.Contains("merge the adapters", error.Message);
        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    [SharedFact]
    public void AMergedAdapterIsExportedAsItsMergedWeights()
    {
        using var model = TextClassificationModel.LoadPretrained(FixtureFolder("bert"), numLabels: 2);
        var query = (LoRALinear)model.Network.named_modules().First(m => m.name.EndsWith("layer.0.attention.self.query", StringComparison.Ordinal)).module;
        query.AttachAdapter(rank: 2, alpha: 4);
        using (torch.no_grad())
        {
            using var value = 0.05f.ToScalar();
            query.lora_B!.fill_(value);
        }
        var texts = GlueRows("sst2").Take(40).ToArray();
        var adapted = model.PredictRaw(texts.Select(t => (string?)t.Text1).ToArray(), null, MaxSequenceLength, batchSize: 8);
        query.MergeAdapter();
        using var folder = new TemporaryFolder();
        var path = Export(model, folder);

        using var session = new InferenceSession(path);
        var (logits, _) = OnnxRuntimeScores(session, model, texts);
        Assert.True(MaxAbsoluteDifference(adapted, logits) < Tolerance, "the export does not score as the adapted model did before merging");
    }

    [SharedTheory]
    [InlineData(null)]
    [InlineData(SentencePooling.MeanOfTokens)]
    public void OnnxRuntimeScoresAnExportedBiEncoderAsOurTransformerDoes(SentencePooling? pooling)
    {
        using var model = TextClassificationModel.LoadPretrained(FixtureFolder("bert"), numLabels: 3, pooling: pooling, pairEncoding: SentencePairEncoding.BiEncoder);
        AssertExportScoresAsOurs(model, "mrpc", $"bert bi-encoder {pooling?.ToString() ?? "default"} pooling on mrpc");
    }

    [NamedModelFact("minilm")]
    public void OnnxRuntimeScoresTheExportedMiniLMBiEncoderAsOurTransformerDoes()
    {
        using var model = TextClassificationModel.LoadPretrained("minilm", numLabels: 2, pairEncoding: SentencePairEncoding.BiEncoder);
        AssertExportScoresAsOurs(model, "mrpc", $"MiniLM bi-encoder ({model.Network.Pooling}) on mrpc");
    }

    [NamedModelFact("use-lite")]
    public void UseLiteIsRefusedWithTheReason()
    {
        using var model = TextClassificationModel.LoadPretrained("use-lite", numLabels: 2);
        using var folder = new TemporaryFolder();

        var error = Assert.Throws<NotSupportedException>(() => OnnxExport.Write(model, Path.Combine(folder.Path, "model.onnx")));

        Assert.Contains("USE-Lite", error.Message);
        Assert.Contains("sinusoidal timing signal", error.Message);
        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    private void AssertExportScoresAsOurs(TextClassificationModel model, string task, string what)
    {
        using var folder = new TemporaryFolder();
        var path = Export(model, folder);
        var rows = GlueRows(task).Take(Rows).ToArray();
        Assert.Equal(Rows, rows.Length);

        // Ours scores in length groups; ORT scores batches of 25 rows padded to their longest, so padding differs between the two.
        var ours = model.PredictRaw(rows.Select(r => (string?)r.Text1).ToArray(), task == "sst2" ? null : rows.Select(r => r.Text2).ToArray(),
            MaxSequenceLength, batchSize: 16);
        using var session = new InferenceSession(path);
        var (logits, probabilities) = OnnxRuntimeScores(session, model, rows);

        var logitsDifference = MaxAbsoluteDifference(ours, logits);
        var probabilitiesDifference = MaxAbsoluteDifference(Softmax(ours, model.NumLabels), probabilities!);
        output.WriteLine($"{what}: max |ORT - ours| logits {logitsDifference:E2}, probabilities {probabilitiesDifference:E2}");
        Assert.True(logitsDifference < Tolerance, $"{what}: ORT's logits differ from ours by up to {logitsDifference:E3}");
        Assert.True(probabilitiesDifference < Tolerance, $"{what}: ORT's probabilities differ from the softmax of our logits by up to {probabilitiesDifference:E3}");
        Assert.True(ours.Select(Math.Abs).Max() > 1e-3, $"{what}: the logits are all near zero; the comparison would prove nothing");
    }

    /// <summary>ORT's outputs for <paramref name="rows"/>, fed the inputs our tokenizer and collator make, in batches of 25.</summary>
    private static (float[] Logits, float[]? Probabilities) OnnxRuntimeScores(InferenceSession session, TextClassificationModel model, (string Text1, string? Text2)[] rows)
    {
        var logits = new List<float>();
        var probabilities = new List<float>();
        foreach (var chunk in rows.Chunk(25))
        {
            var sequences = chunk.Select(r => model.Encode(r.Text1, r.Text2, MaxSequenceLength)).ToArray();
            var inputs = new List<NamedOnnxValue>();
            var biEncoder = sequences[0].Second is not null;
            // A bi-encoder's graph takes each text of the pair as its own padded batch (inputs suffixed _2 for the second).
            AddInputs(inputs, "", biEncoder ? sequences.Select(s => s with { Second = null }).ToArray() : sequences, model);
            if (biEncoder) AddInputs(inputs, "_2", sequences.Select(s => s.Second!).ToArray(), model);
            using var results = session.Run(inputs);
            foreach (var result in results)
            {
                var values = result.AsEnumerable<float>();
                (result.Name == "logits" ? logits : probabilities).AddRange(values);
            }
        }
        return (logits.ToArray(), probabilities.Count == 0 ? null : probabilities.ToArray());
    }

    private static void AddInputs(List<NamedOnnxValue> inputs, string suffix, IReadOnlyList<EncodedSequence> sequences, TextClassificationModel model)
    {
        using var batch = BatchCollator.Collate(sequences, model.Tokenizer);
        inputs.Add(Input("input_ids" + suffix, batch.InputIds));
        inputs.Add(Input("attention_mask" + suffix, batch.AttentionMask));
        if (batch.TokenTypeIds is { } types) inputs.Add(Input("token_type_ids" + suffix, types));
    }

    private static NamedOnnxValue Input(string name, torch.Tensor values)
        => NamedOnnxValue.CreateFromTensor(name, new OnnxRuntime.Tensors.DenseTensor<long>(values.data<long>().ToArray(), [(int)values.shape[0], (int)values.shape[1]]));

    /// <summary>Dev rows of SST-2 (sentence) or MRPC (the two sentences, columns 3 and 4), read straight from the TSV.</summary>
    private static IEnumerable<(string Text1, string? Text2)> GlueRows(string task)
        => File.ReadLines(SharedData.PathOf("data", "glue", task, "dev.tsv")).Skip(1).Select(line => line.Split('\t'))
            .Select(cells => task == "sst2" ? (cells[0].Trim(), (string?)null) : (cells[3], (string?)cells[4]));

    /// <summary>Exports <paramref name="model"/> as <c>model.onnx</c> in <paramref name="folder"/>; returns its path.</summary>
    private static string Export(TextClassificationModel model, TemporaryFolder folder)
    {
        var path = Path.Combine(folder.Path, "model.onnx");
        OnnxExport.Write(model, path);
        return path;
    }

    private static string FixtureFolder(string family)
        => HuggingFaceFixtures.ModelFolder(family, HuggingFaceFixtures.ClassName(family, "ForSequenceClassification"));

    private static double MaxAbsoluteDifference(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        return expected.Zip(actual, (a, b) => Math.Abs((double)a - b)).Max();
    }

    private static float[] Softmax(float[] logits, int width)
        => logits.Chunk(width).SelectMany(row =>
        {
            var max = row.Max();
            var exponentials = row.Select(v => Math.Exp(v - max)).ToArray();
            var sum = exponentials.Sum();
            return exponentials.Select(e => (float)(e / sum));
        }).ToArray();

    private sealed class TemporaryFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("deltalora-onnx-export-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
