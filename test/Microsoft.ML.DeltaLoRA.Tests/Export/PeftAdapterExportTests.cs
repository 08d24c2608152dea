using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Export;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Microsoft.ML.DeltaLoRA.Tests.Checkpoints;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;
using Xunit.Abstractions;

namespace Microsoft.ML.DeltaLoRA.Tests.Export;

/// <summary>
/// The PEFT adapter export on the BERT, RoBERTa and DistilBERT fixtures, for a LoRA (rank r) and a Delta-LoRA (rank 2r)
/// fine-tune: read back by our importer to the fine-tuned logits; tensor names and config as PEFT's save_pretrained writes them,
/// checked against the tensor names transformers wrote in the fixtures; and the file applied by hand (W + lora_alpha/r·B·A in
/// plain arithmetic, from the bytes) to the fixture's own weights, loaded as an ordinary Hugging Face folder.
/// </summary>
public class PeftAdapterExportTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-5f;

    public static TheoryData<string, double> FamiliesAndMethods()
    {
        var data = new TheoryData<string, double>();
        foreach (var family in new[] { "bert", "roberta", "distilbert" })
        {
            data.Add(family, 0.0); // LoRA
            data.Add(family, 0.5); // Delta-LoRA, λ = 0.5
        }
        return data;
    }

    [SharedTheory]
    [MemberData(nameof(FamiliesAndMethods))]
    public void Export_then_import_reproduces_the_fine_tuned_logits(string family, double updateRatio)
    {
        using var fineTune = new KnownFineTune(family, updateRatio);
        using var adapter = new ExportedAdapter(fineTune);
        using (var baseModel = TextClassificationModel.LoadPretrained(fineTune.Fixture, fineTune.Model.NumLabels,
                   pooling: PeftAdapterImport.TransformersPooling(fineTune.Model.Family)))
        {
            Assert.True(HuggingFaceExportTests.MaxDifference(fineTune.Logits(baseModel), fineTune.ReferenceLogits) > 1e-2,
                "the fine-tune should change the base model's logits, or the round trip would prove nothing");
        }
        Assert.True(fineTune.ReferenceLogits.Distinct().Count() > fineTune.Model.NumLabels, "the rows should not all score alike");

        using var imported = PeftAdapterImport.Load(adapter.Folder);
        var difference = HuggingFaceExportTests.MaxDifference(fineTune.ReferenceLogits, fineTune.Logits(imported));
        output.WriteLine($"{family} λ={updateRatio}: largest logit difference after export → import {difference:E2}");
        Assert.True(difference <= Tolerance, $"export → import changed a logit by {difference}");
    }

    [SharedTheory]
    [MemberData(nameof(FamiliesAndMethods))]
    public void Tensor_names_and_config_are_those_PEFT_save_pretrained_writes(string family, double updateRatio)
    {
        using var fineTune = new KnownFineTune(family, updateRatio);
        using var adapter = new ExportedAdapter(fineTune);
        var written = HuggingFaceExportTests.ShapesOf(adapter.WeightsFile);
        // What transformers named the tensors of this model (the fixture's own file), not our module names.
        var transformers = HuggingFaceExportTests.ShapesOf(Path.Combine(fineTune.Fixture, "model.safetensors"));
        var config = JsonNode.Parse(File.ReadAllText(adapter.ConfigFile))!.AsObject();

        int rank = updateRatio == 0 ? KnownFineTune.Rank : 2 * KnownFineTune.Rank;
        string[] targets = family == "distilbert" ? ["q_lin", "v_lin"] : ["query", "value"];
        Assert.Equal("LORA", (string?)config["peft_type"]);
        Assert.Equal("SEQ_CLS", (string?)config["task_type"]);
        Assert.Equal(rank, (int)config["r"]!);
        Assert.Equal(rank, (double)config["lora_alpha"]!); // scaling lora_alpha / r = 1: the factors carry s (and λ)
        Assert.False((bool)config["use_rslora"]!);
        Assert.False((bool)config["fan_in_fan_out"]!);
        Assert.Equal("none", (string?)config["bias"]);
        Assert.Equal(fineTune.Fixture, (string?)config["base_model_name_or_path"]);
        Assert.Equal(targets, config["target_modules"]!.AsArray().Select(t => (string)t!));
        string[] modulesToSave = family switch
        {
            "bert" => ["bert.pooler", "classifier"], // the pooler trains with the head, and PEFT's default does not save it
            "distilbert" => ["classifier", "pre_classifier"],
            _ => ["classifier"], // RoBERTa's head module holds dense and out_proj
        };
        var savedModules = config["modules_to_save"]!.AsArray().Select(m => (string)m!).ToArray();
        Assert.Equal(modulesToSave, savedModules);

        // LoRA factors: base_model.model.<module>.lora_A.weight [r, in] and .lora_B.weight [out, r], for exactly the target layers.
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, shape) in transformers)
        {
            var module = name[..name.LastIndexOf('.')];
            if (!name.EndsWith(".weight", StringComparison.Ordinal) || !targets.Contains(module[(module.LastIndexOf('.') + 1)..])) continue;
            var dims = Regex.Match(shape, @"\[(\d+), (\d+)\]");
            expected[$"base_model.model.{module}.lora_A.weight"] = $"F32 [{rank}, {dims.Groups[2].Value}]";
            expected[$"base_model.model.{module}.lora_B.weight"] = $"F32 [{dims.Groups[1].Value}, {rank}]";
        }
        // Whole-saved modules by PEFT's rule (_set_trainable): a module whose name ends with a modules_to_save entry, by plain
        // suffix, with SEQ_CLS's "classifier" and "score" added; get_peft_model_state_dict stores every tensor of it under
        // base_model.model.<its name>, with the wrapper's modules_to_save.default. removed.
        string[] entries = [.. savedModules, "classifier", "score"];
        var modules = transformers.Keys.SelectMany(ModulePrefixes).Distinct().ToArray();
        var wrapped = modules.Where(m => entries.Any(e => m.EndsWith(e, StringComparison.Ordinal))).ToArray();
        foreach (var (name, shape) in transformers)
        {
            if (wrapped.Any(m => name.StartsWith(m + ".", StringComparison.Ordinal))) expected["base_model.model." + name] = shape;
        }
        Assert.Equal(expected, written);
    }

    [SharedTheory]
    [MemberData(nameof(FamiliesAndMethods))]
    public void The_file_applied_by_hand_to_the_base_weights_reproduces_the_logits(string family, double updateRatio)
    {
        using var fineTune = new KnownFineTune(family, updateRatio);
        using var adapter = new ExportedAdapter(fineTune);
        var config = JsonNode.Parse(File.ReadAllText(adapter.ConfigFile))!.AsObject();
        double scaling = (double)config["lora_alpha"]! / (int)config["r"]!;
        var weights = RawSafetensors.Read(Path.Combine(fineTune.Fixture, "model.safetensors"));
        var lora = RawSafetensors.Read(adapter.WeightsFile);

        foreach (var (key, _) in lora.Header)
        {
            if (key == "__metadata__" || key.EndsWith(".lora_B.weight", StringComparison.Ordinal)) continue;
            var name = key["base_model.model.".Length..];
            if (!key.EndsWith(".lora_A.weight", StringComparison.Ordinal))
            {
                Assert.Equal(Shape(weights, name), Shape(lora, key));
                Floats(lora, key).CopyTo(Floats(weights, name)); // a head tensor, stored whole
                continue;
            }
            var module = name[..^".lora_A.weight".Length];
            var a = Floats(lora, key);
            var b = Floats(lora, $"base_model.model.{module}.lora_B.weight");
            var w = Floats(weights, module + ".weight");
            var (rows, columns) = (Shape(weights, module + ".weight")[0], Shape(weights, module + ".weight")[1]);
            int rank = Shape(lora, key)[0];
            for (int o = 0; o < rows; o++)
            {
                for (int i = 0; i < columns; i++)
                {
                    double sum = 0;
                    for (int k = 0; k < rank; k++) sum += (double)b[o * rank + k] * a[k * columns + i];
                    w[o * columns + i] = (float)(w[o * columns + i] + scaling * sum);
                }
            }
        }

        var merged = adapter.Sibling("merged");
        Directory.CreateDirectory(merged);
        foreach (var file in Directory.GetFiles(fineTune.Fixture).Where(f => Path.GetFileName(f) is not ("model.safetensors" or "model.onnx")))
            File.Copy(file, Path.Combine(merged, Path.GetFileName(file)));
        weights.Write(Path.Combine(merged, "model.safetensors"));
        using var byHand = TextClassificationModel.LoadPretrained(merged, fineTune.Model.NumLabels, pooling: PeftAdapterImport.TransformersPooling(fineTune.Model.Family));
        var difference = HuggingFaceExportTests.MaxDifference(fineTune.ReferenceLogits, fineTune.Logits(byHand));
        output.WriteLine($"{family} λ={updateRatio}: largest logit difference, adapter applied by hand {difference:E2}");
        Assert.True(difference <= Tolerance, $"the adapter applied by hand changed a logit by {difference}");
    }

    [SharedFact]
    public void A_head_transformers_cannot_compute_is_refused_and_no_folder_is_left()
    {
        using var fineTune = new KnownFineTune("bert", 0.5);
        var fixture = fineTune.Fixture;
        using var meanPooled = TextClassificationModel.LoadPretrained(fixture, fineTune.Model.NumLabels, pooling: SentencePooling.MeanOfTokens);
        using var folder = new TemporaryDirectory();
        var target = folder.File("adapter");
        var error = Assert.Throws<NotSupportedException>(() => PeftAdapterExport.Write(fineTune.Delta, meanPooled.Network, fixture, target));
        Assert.Contains("MeanOfTokens", error.Message);
        Assert.Contains("Pooling = Pooler", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [SharedFact]
    public void A_delta_lacking_part_of_a_saved_module_is_refused_and_no_folder_is_left()
    {
        using var fineTune = new KnownFineTune("distilbert", 0.0);
        var partial = fineTune.Delta with
        {
            OtherTrainedTensors = fineTune.Delta.OtherTrainedTensors.Where(t => t.Key != "pre_classifier.bias").ToDictionary(t => t.Key, t => t.Value),
        };
        using var folder = new TemporaryDirectory();
        var target = folder.File("adapter");
        var error = Assert.Throws<ArgumentException>(() => PeftAdapterExport.Write(partial, fineTune.Model.Network, fineTune.Fixture, target));
        Assert.Contains("'pre_classifier'", error.Message);
        Assert.Contains("pre_classifier.bias", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [SharedFact]
    public void A_named_base_is_recorded_by_its_Hub_id_and_an_existing_folder_is_never_written_over()
    {
        using var fineTune = new KnownFineTune("bert", 0.0);
        using var adapter = new ExportedAdapter(fineTune, baseReference: "minilm");
        Assert.Equal("sentence-transformers/all-MiniLM-L6-v2", (string?)JsonNode.Parse(File.ReadAllText(adapter.ConfigFile))!["base_model_name_or_path"]);

        var before = File.ReadAllBytes(adapter.WeightsFile);
        Assert.Throws<IOException>(() => PeftAdapterExport.Write(fineTune.Delta, fineTune.Model.Network, fineTune.Fixture, adapter.Folder));
        Assert.Equal(before, File.ReadAllBytes(adapter.WeightsFile));
    }

    [SharedFact]
    public void A_fitted_pipeline_model_exports_with_its_class_names_in_the_loading_snippet()
    {
        // Three classes, as the BERT fixture's head (the labels are arbitrary: only their names reach the README).
        string[] classes = ["negative", "neutral", "positive"];
        var rows = HuggingFaceExportTests.Sst2Sentences(48).Select((text, i) => new LabelledText { Text = text, Label = classes[i % 3] }).ToList();
        var ml = new MLContext(seed: 1);
        var options = MLNetTestData.ClassificationOptions();
        options.ModelPath = HuggingFaceFixtures.ModelFolder("bert", "BertForSequenceClassification");
        options.Sentence1ColumnName = nameof(LabelledText.Text);
        options.Pooling = SentencePooling.Pooler;
        options.Method = FineTuningMethod.LoRA;
        var fitted = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.DeltaLoRA(options)).Fit(ml.Data.LoadFromEnumerable(rows));
        using var fineTune = new KnownFineTune("bert", 0.0); // a delta of this architecture (the fit's own delta is the compact save's to capture)
        using var folder = new TemporaryDirectory();
        var target = folder.File("adapter");
        PeftAdapterExport.Write(fitted.LastTransformer, fineTune.Delta, fineTune.Fixture, target);
        var readme = File.ReadAllText(Path.Combine(target, PeftAdapterExport.ReadmeFileName));
        Assert.Contains("id2label={0: \"negative\", 1: \"neutral\", 2: \"positive\"}", readme);
        Assert.Contains($"from_pretrained(\"{fineTune.Fixture}\"", readme);
    }

    public sealed class LabelledText
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }

    /// <summary>Every module that holds <paramref name="tensorName"/>: <c>a</c>, <c>a.b</c> for <c>a.b.weight</c>.</summary>
    private static IEnumerable<string> ModulePrefixes(string tensorName)
    {
        var segments = tensorName.Split('.');
        for (int length = 1; length < segments.Length; length++) yield return string.Join('.', segments[..length]);
    }

    private static int[] Shape(RawSafetensors file, string name)
        => file.Entry(name)["shape"]!.AsArray().Select(d => (int)d!).ToArray();

    /// <summary>A float32 tensor's values, as a view into the file's bytes (writes go into the file).</summary>
    private static Span<float> Floats(RawSafetensors file, string name)
    {
        Assert.Equal("F32", (string?)file.Entry(name)["dtype"]);
        var (begin, end) = file.Offsets(name);
        return MemoryMarshal.Cast<byte, float>(file.Data.AsSpan((int)begin, (int)(end - begin)));
    }
}
