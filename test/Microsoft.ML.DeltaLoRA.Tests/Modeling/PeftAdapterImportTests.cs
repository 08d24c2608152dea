using System.Text.Json.Nodes;
using Microsoft.ML.DeltaLoRA.Architectures;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Microsoft.ML.DeltaLoRA.Tests.Export;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling;

/// <summary>
/// Loading PEFT adapter folders written here by hand, as PEFT's save_pretrained lays them out, onto the BERT fixture (3 layers,
/// hidden 32, 3 labels): a well-formed one loads and changes the logits; each kind of bad adapter is refused with an error that
/// names the file, the tensor or the option. And a PEFT folder as <c>ModelPath</c>: the start of a further fine-tune.
/// </summary>
public class PeftAdapterImportTests
{
    private const int Rank = 2;
    private const int Layers = 3;
    private const int Hidden = 32;
    private const int Labels = 3;

    private static string BertFixture => HuggingFaceFixtures.ModelFolder("bert", "BertForSequenceClassification");

    /// <summary>A hand-made adapter: config and tensors that a test may change before <see cref="Write"/>.</summary>
    private sealed class HandMadeAdapter : IDisposable
    {
        private readonly TemporaryDirectory _temporary = new();

        public HandMadeAdapter()
        {
            Folder = _temporary.File("adapter");
            Config = new JsonObject
            {
                ["peft_type"] = "LORA",
                ["task_type"] = "SEQ_CLS",
                ["base_model_name_or_path"] = BertFixture,
                ["r"] = Rank,
                ["lora_alpha"] = 4,
                ["target_modules"] = new JsonArray("query", "value"),
                ["modules_to_save"] = null,
                ["bias"] = "none",
                ["fan_in_fan_out"] = false,
                ["use_rslora"] = false,
            };
            torch.random.manual_seed(5);
            for (int layer = 0; layer < Layers; layer++)
            {
                foreach (var projection in new[] { "query", "value" })
                {
                    var module = $"bert.encoder.layer.{layer}.attention.self.{projection}";
                    Shapes[$"base_model.model.{module}.lora_A.weight"] = [Rank, Hidden];
                    Shapes[$"base_model.model.{module}.lora_B.weight"] = [Hidden, Rank];
                }
            }
            Shapes["base_model.model.classifier.weight"] = [Labels, Hidden];
            Shapes["base_model.model.classifier.bias"] = [Labels];
        }

        public string Folder { get; }
        public JsonObject Config { get; }

        /// <summary>Tensor name → shape; each is written with random values.</summary>
        public Dictionary<string, long[]> Shapes { get; } = new(StringComparer.Ordinal);

        public string Write()
        {
            Directory.CreateDirectory(Folder);
            File.WriteAllText(Path.Combine(Folder, PeftAdapterConfig.FileName), Config.ToJsonString());
            using var scope = torch.NewDisposeScope();
            using var spread = 0.3.ToScalar();
            var tensors = Shapes.ToDictionary(s => s.Key, s => torch.randn(s.Value).mul_(spread));
            using var stream = File.Create(Path.Combine(Folder, PeftNames.WeightsFileName));
            SafetensorsWriter.Write(stream, tensors, new Dictionary<string, string> { ["format"] = "pt" });
            return Folder;
        }

        public void Dispose() => _temporary.Dispose();
    }

    private static float[] Logits(TextClassificationModel model)
        => model.PredictRaw(HuggingFaceExportTests.Sst2Sentences(16), null, KnownFineTune.MaxTokens, batchSize: 8);

    [SharedFact]
    public void A_well_formed_hand_made_adapter_loads_and_changes_the_logits()
    {
        using var adapter = new HandMadeAdapter();
        using var imported = PeftAdapterImport.Load(adapter.Write());
        using var baseModel = TextClassificationModel.LoadPretrained(BertFixture, Labels, pooling: SentencePooling.Pooler);
        Assert.Equal(Labels, imported.NumLabels);
        Assert.True(HuggingFaceExportTests.MaxDifference(Logits(baseModel), Logits(imported)) > 1e-2);
    }

    [SharedFact]
    public void Target_modules_as_a_regular_expression_selects_as_the_list_does()
    {
        using var listed = new HandMadeAdapter();
        using var fromList = PeftAdapterImport.Load(listed.Write());
        using var pattern = new HandMadeAdapter();
        pattern.Config["target_modules"] = @".*\.attention\.self\.(query|value)";
        using var fromPattern = PeftAdapterImport.Load(pattern.Write());
        Assert.Equal(Logits(fromList), Logits(fromPattern));

        using var narrow = new HandMadeAdapter();
        narrow.Config["target_modules"] = @".*\.query";
        Assert.Contains("does not select", Assert.Throws<InvalidDataException>(() => PeftAdapterImport.Load(narrow.Write()).Dispose()).Message);
    }

    public static TheoryData<string, Action<HandMadeAdapterEdit>, Type, string[]> BadAdapters() => new()
    {
        { "wrong rank", a => a.Config["r"] = 4, typeof(InvalidDataException), ["r = 4", "lora_A [2, 32]", PeftNames.WeightsFileName] },
        { "lora_B missing", a => a.Shapes.Remove("base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.weight"), typeof(InvalidDataException),
            ["layer.1.attention.self.value.lora_A.weight' but not", "lora_B.weight"] },
        { "a targeted layer's tensors missing", a => RemoveLayer(a, "bert.encoder.layer.2.attention.self.query"), typeof(InvalidDataException),
            ["lacks the LoRA tensors of 1 layer", "base_model.model.bert.encoder.layer.2.attention.self.query.lora_A.weight"] },
        { "unknown target module", a => a.Config["target_modules"] = new JsonArray("query", "value", "q_proj"), typeof(InvalidDataException),
            ["'q_proj'", "matches no linear layer", "query"] },
        { "a layer target_modules does not select", a => a.Config["target_modules"] = new JsonArray("query"), typeof(InvalidDataException),
            ["layer.0.attention.self.value", "does not select"] },
        { "a layer the base does not have", a => AddLayer(a, "bert.encoder.layer.7.attention.self.query"), typeof(InvalidDataException),
            ["'bert.encoder.layer.7.attention.self.query'", "does not have"] },
        { "a base whose shapes disagree", a => Widen(a, 64), typeof(InvalidDataException), ["64×64", "is 32×32", "another base model"] },
        { "a head tensor of another shape", a => a.Shapes["base_model.model.classifier.bias"] = [Labels + 1], typeof(InvalidDataException),
            ["classifier.bias", "[4]", "[3]"] },
        { "a saved tensor outside modules_to_save", a => a.Shapes["base_model.model.bert.pooler.dense.bias"] = [Hidden], typeof(InvalidDataException),
            ["bert.pooler.dense.bias", "modules_to_save"] },
        { "no head", a => { a.Shapes.Remove("base_model.model.classifier.weight"); a.Shapes.Remove("base_model.model.classifier.bias"); },
            typeof(InvalidDataException), ["saved no classification head", "base_model.model.classifier.weight"] },
        { "DoRA", a => a.Config["use_dora"] = true, typeof(InvalidDataException), ["use_dora", PeftAdapterConfig.FileName] },
        { "fan_in_fan_out", a => a.Config["fan_in_fan_out"] = true, typeof(InvalidDataException), ["fan_in_fan_out", "Conv1D"] },
        { "trained biases", a => a.Config["bias"] = "lora_only", typeof(InvalidDataException), ["bias \"lora_only\""] },
        { "another PEFT method", a => a.Config["peft_type"] = "IA3", typeof(InvalidDataException), ["'IA3'", "LORA"] },
        { "another task", a => a.Config["task_type"] = "CAUSAL_LM", typeof(InvalidDataException), ["\"CAUSAL_LM\"", "SEQ_CLS"] },
        { "a rank per layer", a => a.Config["rank_pattern"] = new JsonObject { ["query"] = 8 }, typeof(InvalidDataException), ["rank_pattern"] },
        { "a target pattern that does not parse", a => a.Config["target_modules"] = "(query", typeof(InvalidDataException), ["target_modules regular expression"] },
        { "an unknown base", a => a.Config["base_model_name_or_path"] = "nobody/no-such-model", typeof(DirectoryNotFoundException),
            ["'nobody/no-such-model'", "neither a folder nor", "sentence-transformers/all-MiniLM-L6-v2"] },
    };

    [SharedTheory]
    [MemberData(nameof(BadAdapters))]
    public void A_bad_adapter_is_refused_with_an_error_naming_what_is_wrong(string what, Action<HandMadeAdapterEdit> damage, Type errorType, string[] mentions)
    {
        using var adapter = new HandMadeAdapter();
        damage(new HandMadeAdapterEdit(adapter.Config, adapter.Shapes));
        var folder = adapter.Write();
        var error = Assert.Throws(errorType, () => PeftAdapterImport.Load(folder).Dispose());
        foreach (var mention in mentions) Assert.True(error.Message.Contains(mention, StringComparison.Ordinal), $"{what}: '{mention}' is not in: {error.Message}");
    }

    [SharedFact]
    public void A_PEFT_folder_as_the_model_path_starts_a_fine_tune_from_base_plus_adapter()
    {
        using var adapter = new HandMadeAdapter();
        adapter.Shapes["base_model.model.classifier.weight"] = [2, Hidden]; // SST-2's two classes
        adapter.Shapes["base_model.model.classifier.bias"] = [2];
        var folder = adapter.Write();
        using var imported = PeftAdapterImport.Load(folder);
        Assert.Equal(ModelFamily.Bert, TextClassificationModel.FamilyOf(folder));
        using (var asModelPath = TextClassificationModel.LoadPretrained(folder, 2))
            Assert.Equal(Logits(imported), Logits(asModelPath));

        var wrongCount = Assert.Throws<InvalidDataException>(() => TextClassificationModel.LoadPretrained(folder, Labels).Dispose());
        Assert.Contains("head of 2 outputs", wrongCount.Message);
        var wrongPooling = Assert.Throws<ArgumentOutOfRangeException>(() => TextClassificationModel.LoadPretrained(folder, 2, pooling: SentencePooling.MeanOfTokens).Dispose());
        Assert.Contains("Pooler", wrongPooling.Message);

        // The ML.NET trainer fine-tunes it further, here with LoRA on top of the merged adapter.
        var ml = new MLContext(seed: 1);
        var loader = MLNetTestData.Sst2Loader(ml);
        var options = MLNetTestData.ClassificationOptions();
        options.ModelPath = folder;
        options.Method = FineTuningMethod.LoRA;
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.DeltaLoRA(options)).Fit(loader.Load(MLNetTestData.Sst2Train));
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(loader.Load(MLNetTestData.Sst2Eval)));
        Assert.InRange(metrics.MicroAccuracy, 0, 1);
    }

    private static void RemoveLayer(HandMadeAdapterEdit adapter, string module)
    {
        adapter.Shapes.Remove($"base_model.model.{module}.lora_A.weight");
        adapter.Shapes.Remove($"base_model.model.{module}.lora_B.weight");
    }

    private static void AddLayer(HandMadeAdapterEdit adapter, string module)
    {
        adapter.Shapes[$"base_model.model.{module}.lora_A.weight"] = [Rank, Hidden];
        adapter.Shapes[$"base_model.model.{module}.lora_B.weight"] = [Hidden, Rank];
    }

    /// <summary>Every factor shaped for a model of hidden size <paramref name="hidden"/>.</summary>
    private static void Widen(HandMadeAdapterEdit adapter, int hidden)
    {
        foreach (var name in adapter.Shapes.Keys.Where(n => n.Contains("lora_", StringComparison.Ordinal)).ToArray())
            adapter.Shapes[name] = name.EndsWith("lora_A.weight", StringComparison.Ordinal) ? [Rank, hidden] : [hidden, Rank];
    }
}

/// <summary>What a bad-adapter case may change: the config JSON and the tensor shapes (the theory's data must be public).</summary>
public sealed record HandMadeAdapterEdit(JsonObject Config, Dictionary<string, long[]> Shapes);
