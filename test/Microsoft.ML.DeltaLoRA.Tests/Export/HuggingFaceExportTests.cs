using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Export;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Benchmarks;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Pretrained;
using Microsoft.ML.DeltaLoRA.Tests.UseLite;
using TorchSharp;

namespace Microsoft.ML.DeltaLoRA.Tests.Export;

/// <summary>
/// The Hugging Face export against what transformers itself wrote (the ../shared fixtures' model.safetensors and config.json),
/// and read back by our own Hugging Face loader to the same logits on SST-2 sentences.
/// </summary>
public class HuggingFaceExportTests
{
    private const int MaxTokens = 48;

    internal static string[] Sst2Sentences(int count)
        => File.ReadLines(MLNetTestData.Sst2Eval).Skip(1).Select(line => line.Split('\t')[0]).Take(count).ToArray();

    private static string FixtureClassifier(string family)
        => HuggingFaceFixtures.ModelFolder(family, HuggingFaceFixtures.ClassName(family, "ForSequenceClassification"));

    private static ExportedTask ClassesTask(int count, bool pairs = false)
        => new(Enumerable.Range(0, count).Select(i => $"class {i}").ToArray(), pairs, MaxTokens);

    /// <summary>Tensor name → "dtype [shape]", from the header alone.</summary>
    internal static SortedDictionary<string, string> ShapesOf(string file)
    {
        using var stream = File.OpenRead(file);
        var header = SafetensorsHeader.Read(stream, stream.Length, file);
        return new SortedDictionary<string, string>(
            header.Entries.ToDictionary(e => e.Name, e => $"{e.Type.Name} [{string.Join(", ", e.Shape)}]"), StringComparer.Ordinal);
    }

    /// <summary>Both models' outputs on 32 SST-2 sentences: varied (the check could fail), and bit for bit the same.</summary>
    private static void AssertIdenticalLogits(TextClassificationModel original, TextClassificationModel reloaded)
    {
        var sentences = Sst2Sentences(32);
        var before = original.PredictRaw(sentences, null, MaxTokens, batchSize: 8);
        var after = reloaded.PredictRaw(sentences, null, MaxTokens, batchSize: 8);
        Assert.True(before.Distinct().Count() > original.NumLabels, "the model should not score every sentence alike");
        Assert.Equal(0f, MaxDifference(before, after));
    }

    internal static float MaxDifference(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        return expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
    }

    /// <summary>A fixture's ForSequenceClassification model as our loader reads it, with its labels, exported to a fresh folder.</summary>
    private sealed class ExportedFixture : IDisposable
    {
        private readonly TemporaryDirectory _temporary = new();

        public ExportedFixture(string family)
        {
            Fixture = FixtureClassifier(family);
            Model = TextClassificationModel.LoadPretrained(Fixture, EncoderConfig.Load(Fixture).NumLabels);
            Folder = _temporary.File("hf");
            Layout = HuggingFaceExport.Write(Model, ClassesTask(Model.NumLabels), Folder);
        }

        public string Fixture { get; }
        public TextClassificationModel Model { get; }
        public string Folder { get; }
        public HuggingFaceLayout Layout { get; }

        public void Dispose()
        {
            Model.Dispose();
            _temporary.Dispose();
        }
    }

    private static JsonObject ConfigOf(string folder) => JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();

    [SharedTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    [InlineData("distilbert")]
    public void A_classifier_exports_as_transformers_own_class_with_the_tensor_names_and_shapes_transformers_wrote(string family)
    {
        using var exported = new ExportedFixture(family);
        var export = exported.Folder;

        Assert.Equal(HuggingFaceLayout.SequenceClassification, exported.Layout);
        Assert.Equal(ShapesOf(Path.Combine(exported.Fixture, "model.safetensors")), ShapesOf(Path.Combine(export, "model.safetensors")));
        using var stream = File.OpenRead(Path.Combine(export, "model.safetensors"));
        Assert.Equal("pt", SafetensorsHeader.Read(stream, stream.Length, "export").Metadata["format"]);
        foreach (var tokenizerFile in ModelFamilyFiles(family)) Assert.True(File.Exists(Path.Combine(export, tokenizerFile)), $"{tokenizerFile} is missing");
        Assert.Contains("AutoModelForSequenceClassification.from_pretrained", File.ReadAllText(Path.Combine(export, "README.md")));
    }

    private static string[] ModelFamilyFiles(string family) => family == "roberta" ? ["vocab.json", "merges.txt"] : ["vocab.txt"];

    [SharedTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    [InlineData("distilbert")]
    public void The_config_has_the_fixture_configs_keys_and_values_with_our_classes_and_problem_type(string family)
    {
        using var exported = new ExportedFixture(family);
        int classes = exported.Model.NumLabels;
        var expected = ConfigOf(exported.Fixture);
        var actual = ConfigOf(exported.Folder);
        // Keys transformers writes that describe no part of this network: its version, generation's cache switch, DistilBERT's
        // question-answering dropout, and RoBERTa's bos/eos ids, whose RobertaConfig defaults (0, 2) are the fixture's values.
        string[] notWritten = ["transformers_version", "use_cache", "qa_dropout", "bos_token_id", "eos_token_id"];
        foreach (var (key, value) in expected)
        {
            if (notWritten.Contains(key) || key is "id2label" or "label2id") continue;
            Assert.True(actual.ContainsKey(key), $"config.json lacks '{key}'");
            Assert.True(SameJson(value, actual[key]), $"'{key}': transformers wrote {value?.ToJsonString()}, the export {actual[key]?.ToJsonString()}");
        }
        if (family == "roberta") Assert.Equal((0, 2), (expected["bos_token_id"]!.GetValue<int>(), expected["eos_token_id"]!.GetValue<int>()));
        Assert.Equal(Enumerable.Range(0, classes).Select(i => $"class {i}"), actual["id2label"]!.AsObject().Select(p => p.Value!.GetValue<string>()));
        Assert.Equal(Enumerable.Range(0, classes), actual["label2id"]!.AsObject().Select(p => p.Value!.GetValue<int>()));
        Assert.Equal("single_label_classification", actual["problem_type"]!.GetValue<string>());
        Assert.Equal(MaxTokens, actual["deltalora"]!["max_sequence_length"]!.GetValue<int>());
    }

    /// <summary>JSON equality with numbers compared as numbers (1e-12 and 1E-12 are the same value).</summary>
    private static bool SameJson(JsonNode? a, JsonNode? b)
        => a is JsonValue va && b is JsonValue vb && va.GetValueKind() == JsonValueKind.Number && vb.GetValueKind() == JsonValueKind.Number
            ? va.GetValue<double>() == vb.GetValue<double>()
            : JsonNode.DeepEquals(a, b);

    [SharedTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    [InlineData("distilbert")]
    public void Our_Hugging_Face_loader_reads_the_export_back_to_identical_logits_on_SST2_sentences(string family)
    {
        using var exported = new ExportedFixture(family);
        using var reloaded = TextClassificationModel.LoadPretrained(exported.Folder, exported.Model.NumLabels);
        AssertIdenticalLogits(exported.Model, reloaded);
    }

    [SharedFact]
    public void A_regression_model_exports_one_output_with_the_regression_problem_type()
    {
        using var model = TextClassificationModel.LoadPretrained(FixtureClassifier("distilbert"), 1);
        using var folder = new TemporaryDirectory();
        HuggingFaceExport.Write(model, new ExportedTask(null, readsTextPairs: true, MaxTokens), folder.File("hf"));

        var config = ConfigOf(folder.File("hf"));
        Assert.Equal("regression", config["problem_type"]!.GetValue<string>());
        Assert.Equal(1, config["num_labels"]!.GetValue<int>());
        Assert.Equal("DistilBertForSequenceClassification", config["architectures"]![0]!.GetValue<string>());
        Assert.Equal("[1, 32]", ShapesOf(Path.Combine(folder.File("hf"), "model.safetensors"))["classifier.weight"][4..]);
    }

    [SharedFact]
    public void A_mean_pooled_BERT_exports_as_BertModel_its_head_and_a_sentence_transformers_pipeline_that_reproduce_its_logits()
    {
        using var model = TextClassificationModel.LoadPretrained(FixtureClassifier("bert"), 2, pooling: SentencePooling.MeanOfTokens);
        using var folder = new TemporaryDirectory();
        var export = folder.File("hf");

        Assert.Equal(HuggingFaceLayout.EncoderAndHead, HuggingFaceExport.Write(model, ClassesTask(2), export));

        // The encoder under transformers' BertModel names and shapes, less the pooler this head does not read.
        var bertModel = ShapesOf(Path.Combine(HuggingFaceFixtures.ModelFolder("bert", "BertModel"), "model.safetensors"));
        Assert.Equal(bertModel.Where(t => !t.Key.StartsWith("pooler.", StringComparison.Ordinal)), ShapesOf(Path.Combine(export, "model.safetensors")));
        var config = ConfigOf(export);
        Assert.Equal("BertModel", config["architectures"]![0]!.GetValue<string>());
        Assert.Equal("MeanOfTokens", config["deltalora"]!["pooling"]!.GetValue<string>());
        Assert.Equal(["F32 [2]", "F32 [2, 32]"], ShapesOf(Path.Combine(export, HuggingFaceExport.HeadFileName)).Values);
        var modules = JsonNode.Parse(File.ReadAllText(Path.Combine(export, "modules.json")))!.AsArray();
        Assert.Equal(["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling", "sentence_transformers.models.Dense"],
            modules.Select(m => m!["type"]!.GetValue<string>()));
        Assert.Contains("mask.sum(1).clamp(min=1e-9)", File.ReadAllText(Path.Combine(export, "README.md")));

        // Read back as the README says: the encoder with the pooling 1_Pooling declares, then the Dense layer's weights as the head.
        using var reloaded = TextClassificationModel.LoadPretrained(export, 2);
        Assert.Equal(SentencePooling.MeanOfTokens, reloaded.Network.Pooling);
        CopyDenseHead(export, reloaded);
        AssertIdenticalLogits(model, reloaded);
    }

    [NamedModelFact("minilm")]
    public void MiniLM_exports_its_encoder_under_its_own_names_and_reads_back_with_its_mean_pooling_to_identical_logits()
    {
        using var model = TextClassificationModel.LoadPretrained("minilm", 2);
        Assert.Equal(SentencePooling.MeanOfTokens, model.Network.Pooling);
        using var folder = new TemporaryDirectory();
        var export = folder.File("hf");

        Assert.Equal(HuggingFaceLayout.EncoderAndHead, HuggingFaceExport.Write(model, ClassesTask(2), export));

        var source = ShapesOf(Path.Combine(NamedModels.ResolveFolder("minilm"), "model.safetensors"));
        Assert.Equal(source.Where(t => !t.Key.StartsWith("pooler.", StringComparison.Ordinal)), ShapesOf(Path.Combine(export, "model.safetensors")));
        using var reloaded = TextClassificationModel.LoadPretrained(export, 2);
        CopyDenseHead(export, reloaded);
        AssertIdenticalLogits(model, reloaded);
    }

    /// <summary>The head of a sentence-transformers export (its Dense module) into a reloaded encoder's classifier, as the README describes.</summary>
    private static void CopyDenseHead(string export, TextClassificationModel reloaded)
    {
        using var dense = SafetensorsReader.Read(Path.Combine(export, "2_Dense", "model.safetensors"));
        using var noGrad = torch.no_grad();
        var head = ModuleTensors.Export(reloaded.Network);
        head["classifier.weight"].copy_(dense["linear.weight"]);
        head["classifier.bias"].copy_(dense["linear.bias"]);
    }

    [UseLiteModelFact]
    public void A_USE_Lite_model_is_refused_by_name_before_anything_is_written()
    {
        using var model = TextClassificationModel.LoadPretrained("use-lite", 2);
        using var folder = new TemporaryDirectory();

        var error = Assert.Throws<InvalidOperationException>(() => HuggingFaceExport.Write(model, ClassesTask(2), folder.File("hf")));

        Assert.Contains("UseLite model has no Hugging Face transformers architecture", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [SharedFact]
    public void A_BERT_bi_encoder_exports_the_whole_BertModel_and_a_head_over_four_pooled_vectors_without_a_sentence_transformers_pipeline()
    {
        using var model = TextClassificationModel.LoadPretrained(FixtureClassifier("bert"), 3, pairEncoding: SentencePairEncoding.BiEncoder);
        using var folder = new TemporaryDirectory();
        var export = folder.File("hf");

        Assert.Equal(HuggingFaceLayout.EncoderAndHead, HuggingFaceExport.Write(model, ClassesTask(3, pairs: true), export));

        Assert.Equal(ShapesOf(Path.Combine(HuggingFaceFixtures.ModelFolder("bert", "BertModel"), "model.safetensors")), ShapesOf(Path.Combine(export, "model.safetensors")));
        Assert.Equal(["F32 [3]", "F32 [3, 128]"], ShapesOf(Path.Combine(export, HuggingFaceExport.HeadFileName)).Values);
        Assert.False(File.Exists(Path.Combine(export, "modules.json")), "sentence-transformers has no module that combines a pair's vectors");
        Assert.Equal("BiEncoder", ConfigOf(export)["deltalora"]!["pair_encoding"]!.GetValue<string>());
        Assert.Contains("torch.cat([u, v, (u - v).abs(), u * v], dim=1)", File.ReadAllText(Path.Combine(export, "README.md")));
    }

    [SharedFact]
    public void An_existing_folder_is_refused_and_left_as_it_was()
    {
        using var model = TextClassificationModel.LoadPretrained(FixtureClassifier("distilbert"), 2);
        using var folder = new TemporaryDirectory();
        var existing = Directory.CreateDirectory(folder.File("hf")).FullName;
        File.WriteAllText(Path.Combine(existing, "mine.txt"), "keep");

        var error = Assert.Throws<IOException>(() => HuggingFaceExport.Write(model, ClassesTask(2), existing));

        Assert.Contains("exists already", error.Message);
        Assert.Equal(["mine.txt"], Directory.GetFileSystemEntries(existing).Select(p => Path.GetFileName(p)));
        Assert.Equal([existing], Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public void A_write_that_fails_leaves_neither_the_folder_nor_its_staging_copy()
    {
        using var folder = new TemporaryDirectory();
        var target = folder.File("export");

        var error = Assert.Throws<InvalidOperationException>(() => ExportFolder.Write(target, staging =>
        {
            File.WriteAllText(Path.Combine(staging, "config.json"), "{}");
            throw new InvalidOperationException("disk full");
        }));

        Assert.Equal("disk full", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [SharedFact]
    public void A_head_size_that_differs_from_the_classes_is_refused_before_anything_is_written()
    {
        using var model = TextClassificationModel.LoadPretrained(FixtureClassifier("distilbert"), 2);
        using var folder = new TemporaryDirectory();

        var error = Assert.Throws<ArgumentException>(() => HuggingFaceExport.Write(model, ClassesTask(3), folder.File("hf")));

        Assert.Contains("3 outputs but the model's head has 2", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public void Class_names_must_be_distinct_for_label2id()
    {
        var error = Assert.Throws<ArgumentException>(() => new ExportedTask(["yes", "no", "yes"], false, MaxTokens));
        Assert.Contains("'yes' appears twice", error.Message);
    }

    [TorchPeerFact]
    public void A_PyTorch_forward_over_the_exported_BERT_equals_ours()
    {
        var sentences = Sst2Sentences(8);
        using var model = TextClassificationModel.LoadPretrained(FixtureClassifier("bert"), 3);
        using var folder = new TemporaryDirectory();
        var export = folder.File("hf");
        HuggingFaceExport.Write(model, ClassesTask(3), export);

        var encoded = sentences.Select(s => model.Tokenizer.Encode(s, null, MaxTokens).InputIds).ToArray();
        int width = encoded.Max(ids => ids.Length);
        var ids = encoded.Select(row => row.Concat(Enumerable.Repeat(0, width - row.Length)).ToArray()).ToArray();
        var mask = encoded.Select(row => Enumerable.Range(0, width).Select(i => i < row.Length ? 1 : 0).ToArray()).ToArray();
        var reply = TorchPeerForwardTests.RunPeer(Path.Combine(export, "config.json"), Path.Combine(export, "model.safetensors"),
            new JsonObject { ["cmd"] = "forward", ["input_ids"] = JsonSerializer.SerializeToNode(ids), ["attention_mask"] = JsonSerializer.SerializeToNode(mask) });

        var theirs = reply["logits"]!.AsArray().Select(v => (float)v!).ToArray();
        var ours = model.PredictRaw(sentences, null, MaxTokens, batchSize: 8);
        Assert.True(MaxDifference(ours, theirs) <= 1e-4, $"max |PyTorch - ours| = {MaxDifference(ours, theirs):E2}");
    }
}
