using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling;

/// <summary>The tokenizer + network bundle: pretrained loading, text-in logits-out, and its files round trip.</summary>
public class TextClassificationModelTests
{
    public static TheoryData<string> Families => new(HuggingFaceFixtures.Families);

    [SharedTheory]
    [MemberData(nameof(Families))]
    public void TextsGiveTheLogitsTransformersComputed(string family)
    {
        var modelClass = HuggingFaceFixtures.ClassName(family, "ForSequenceClassification");
        var folder = HuggingFaceFixtures.ModelFolder(family, modelClass);
        var expectedCase = HuggingFaceFixtures.Case(family, modelClass, "tokenized_texts");
        using var expected = HuggingFaceFixtures.FloatTensor(expectedCase.GetProperty("outputs").GetProperty("logits").GetProperty("float32"));
        var texts = HuggingFaceFixtures.Expected(family).GetProperty("texts").EnumerateArray().Select(t => (string?)t.GetString()).ToArray();
        int numLabels = (int)expected.shape[1];

        using var model = TextClassificationModel.LoadPretrained(folder, numLabels);
        var logits = model.PredictRaw(texts, null, maxSequenceLength: 64, batchSize: 8);

        using var actual = tensor(logits, [texts.Length, numLabels]);
        HuggingFaceFixtures.AssertClose(expected, actual, 1e-4, $"{modelClass} logits from text");
    }

    [SharedTheory]
    [MemberData(nameof(Families))]
    public void SavedFilesRebuildTheSameModel(string family)
    {
        var folder = HuggingFaceFixtures.ModelFolder(family, HuggingFaceFixtures.ClassName(family, "ForSequenceClassification"));
        string?[] first = ["a short one", "", null, "Hello world! The quick brown fox jumps over the lazy dog, twice over."];
        string?[] second = ["and its pair", "x", "y", null];
        using var original = TextClassificationModel.LoadPretrained(folder, numLabels: 4);
        var files = original.ToFiles();
        using var rebuilt = TextClassificationModel.FromFiles(files, "test files");

        Assert.Equal(original.Family, rebuilt.Family);
        Assert.Equal(4, rebuilt.NumLabels);
        Assert.Equal(original.PredictRaw(first, second, 32, 2), rebuilt.PredictRaw(first, second, 32, 2));
    }

    /// <summary>A model whose training diverged holds NaN or infinite weights; loading it would predict nothing useful.</summary>
    [SharedFact]
    public void SavedFilesWithNonFiniteWeightsAreRefused()
    {
        var folder = HuggingFaceFixtures.ModelFolder("bert", "BertForSequenceClassification");
        using var original = TextClassificationModel.LoadPretrained(folder, numLabels: 2);
        using (no_grad())
        {
            var weight = original.Network.named_parameters().Single(p => p.name == "classifier.weight").parameter;
            using var element = weight[1, 3];
            using var nan = float.NaN.ToScalar();
            element.fill_(nan);
        }
        var error = Assert.Throws<InvalidDataException>(() => TextClassificationModel.FromFiles(original.ToFiles(), "diverged.zip"));
        Assert.Contains("diverged.zip", error.Message);
        Assert.Contains("classifier.weight", error.Message);
        Assert.Contains("not finite", error.Message);
    }

    [SharedFact]
    public void BatchingDoesNotChangeResults()
    {
        var folder = HuggingFaceFixtures.ModelFolder("bert", "BertForSequenceClassification");
        using var model = TextClassificationModel.LoadPretrained(folder, numLabels: 3);
        var texts = Enumerable.Range(0, 11).Select(i => (string?)string.Join(' ', Enumerable.Repeat("the quick fox", i))).ToArray();
        var oneByOne = model.PredictRaw(texts, null, 40, batchSize: 1);
        var batched = model.PredictRaw(texts, null, 40, batchSize: 4);
        for (int i = 0; i < oneByOne.Length; i++) Assert.Equal(oneByOne[i], batched[i], 5e-6f);
    }

    [SharedFact]
    public void SavingWithUnmergedAdaptersIsRefused()
    {
        var folder = HuggingFaceFixtures.ModelFolder("distilbert", "DistilBertForSequenceClassification");
        using var model = TextClassificationModel.LoadPretrained(folder, numLabels: 2);
        var query = model.Network.named_modules().First(m => m.name.EndsWith("q_lin")).module;
        ((Microsoft.ML.DeltaLoRA.Modeling.Adapters.LoRALinear)query).AttachAdapter(2, 4);
        var error = Assert.Throws<InvalidOperationException>(() => model.ToFiles());
        Assert.Contains("q_lin", error.Message);
    }

    /// <summary>A config is data: sizes beyond what the weights present can hold are refused before a network of that size is built.</summary>
    [SharedFact]
    public void AConfigDeclaringMoreWeightsThanArePresentIsRefused()
    {
        var fixture = HuggingFaceFixtures.ModelFolder("bert", "BertForSequenceClassification");
        using var folder = new Microsoft.ML.DeltaLoRA.Tests.MLNet.TemporaryDirectory();
        foreach (var file in Directory.GetFiles(fixture)) File.Copy(file, Path.Combine(folder.Path, Path.GetFileName(file)));
        var configPath = Path.Combine(folder.Path, "config.json");
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["num_hidden_layers"] = 2000;
        File.WriteAllText(configPath, config.ToJsonString());
        var error = Assert.Throws<InvalidDataException>(() => TextClassificationModel.LoadPretrained(folder.Path, numLabels: 2));
        Assert.Contains($"The model configuration '{configPath}' declares 2000 layers of hidden size", error.Message);
        Assert.Contains($"but the folder '{folder.Path}' has ", error.Message);

        using var model = TextClassificationModel.LoadPretrained(fixture, numLabels: 2);
        var tampered = new Dictionary<string, byte[]>(model.ToFiles()) { ["config.json"] = System.Text.Encoding.UTF8.GetBytes(config.ToJsonString()) };
        var zipError = Assert.Throws<InvalidDataException>(() => TextClassificationModel.FromFiles(tampered, "m.zip"));
        Assert.Contains("The model configuration 'config.json in m.zip' declares 2000 layers", zipError.Message);
        Assert.Contains($"but '{TextClassificationModel.WeightsFileName}' in m.zip has ", zipError.Message);

        // The fixture's own config over links to its files, as in a Hugging Face cache snapshot, loads.
        using var linked = new Microsoft.ML.DeltaLoRA.Tests.MLNet.TemporaryDirectory();
        foreach (var file in Directory.GetFiles(fixture)) File.CreateSymbolicLink(Path.Combine(linked.Path, Path.GetFileName(file)), file);
        using var throughLinks = TextClassificationModel.LoadPretrained(linked.Path, numLabels: 2);
        Assert.Equal(2, throughLinks.NumLabels);
    }

    [SharedFact]
    public void DamagedFilesAreNamedInErrors()
    {
        var folder = HuggingFaceFixtures.ModelFolder("bert", "BertForSequenceClassification");
        using var model = TextClassificationModel.LoadPretrained(folder, numLabels: 3);
        var files = model.ToFiles();

        var withoutWeights = files.Where(f => f.Key != TextClassificationModel.WeightsFileName).ToDictionary();
        Assert.Contains(TextClassificationModel.WeightsFileName, Assert.Throws<InvalidDataException>(() => TextClassificationModel.FromFiles(withoutWeights, "zip")).Message);

        var future = new Dictionary<string, byte[]>(files)
        {
            [TextClassificationModel.ManifestFileName] = JsonSerializer.SerializeToUtf8Bytes(new { FormatVersion = 99, Family = "Bert", NumLabels = 3 }),
        };
        Assert.Contains("format 99", Assert.Throws<InvalidDataException>(() => TextClassificationModel.FromFiles(future, "zip")).Message);

        var notOurs = files.Where(f => f.Key != TextClassificationModel.ManifestFileName).ToDictionary();
        Assert.Contains("not a Delta-LoRA model", Assert.Throws<InvalidDataException>(() => TextClassificationModel.FromFiles(notOurs, "zip")).Message);

        // A tampered config is named by the zip it came in, not by the temporary folder it was unpacked into (gone by then).
        foreach (var config in new[] { "{ not json", "{\"model_type\": \"bert\"}" })
        {
            var tampered = new Dictionary<string, byte[]>(files) { ["config.json"] = System.Text.Encoding.UTF8.GetBytes(config) };
            var message = Assert.Throws<InvalidDataException>(() => TextClassificationModel.FromFiles(tampered, "m.zip")).Message;
            Assert.Contains("m.zip", message);
            Assert.DoesNotContain(ModelUnpackFolder.NamePrefix, message);
        }
    }

    [Fact]
    public void MissingFolderIsNamed()
    {
        var error = Assert.Throws<DirectoryNotFoundException>(() => TextClassificationModel.LoadPretrained("/no/such/model", 2));
        Assert.Contains("/no/such/model", error.Message);
    }
}

public class UseLiteTextClassificationModelTests
{
    [Microsoft.ML.DeltaLoRA.Tests.UseLite.UseLiteModelFact]
    public void DefaultModelLoadsAndItsSavedFilesRebuildIt()
    {
        var folder = Microsoft.ML.DeltaLoRA.Tests.UseLite.UseLiteTestEnvironment.EnsureModel();
        string?[] texts = ["great movie", "", "the plot was thin and the acting worse", null];
        using var original = TextClassificationModel.LoadPretrained(folder, numLabels: 2);
        Assert.Equal(ModelFamily.UseLite, original.Family);
        var before = original.PredictRaw(texts, null, 128, 3);

        using var rebuilt = TextClassificationModel.FromFiles(original.ToFiles(), "test files");
        Assert.Equal(ModelFamily.UseLite, rebuilt.Family);
        Assert.Equal(before, rebuilt.PredictRaw(texts, null, 128, 3));
    }
}

/// <summary>A USE-Lite model zip's configuration is data too: its sizes are checked against the weights in the zip before a network is built.</summary>
public class UseLiteZipConfigTests
{
    private const string ConfigStream = "Scorer.use-lite-config.json";

    [Microsoft.ML.DeltaLoRA.Tests.UseLite.UseLiteModelFact]
    public void A_tampered_zip_declaring_sizes_its_weights_cannot_hold_fails_before_building_naming_the_config()
    {
        var folder = Microsoft.ML.DeltaLoRA.Tests.UseLite.UseLiteTestEnvironment.EnsureModel();
        var ml = new MLContext(seed: 1);
        using var directory = new Microsoft.ML.DeltaLoRA.Tests.MLNet.TemporaryDirectory();
        var path = directory.File("use-lite.zip");
        var columns = new Microsoft.ML.DeltaLoRA.MLNet.PredictionColumns(Microsoft.ML.DeltaLoRA.MLNet.PredictionTask.MulticlassClassification, "Sentence1", null, "Score", "PredictedLabel", 2, null);
        var engine = new Microsoft.ML.DeltaLoRA.MLNet.TorchSharpScoringEngine(TextClassificationModel.LoadPretrained(folder, numLabels: 2), 128, TorchThreads.DefaultCount);
        using (var model = new Microsoft.ML.DeltaLoRA.MLNet.DeltaLoRATransformer(ml, new Microsoft.ML.DeltaLoRA.MLNet.BatchScorer(engine, columns, 8)))
            ml.Model.Save(model, ml.Data.LoadFromEnumerable(new[] { new Microsoft.ML.DeltaLoRA.Tests.MLNet.TextRow { Sentence1 = "fine" } }).Schema, path);
        // The untampered zip loads: the bound holds for the real model.
        (ml.Model.Load(path, out _) as IDisposable)?.Dispose();

        foreach (var (key, value, expected) in new[]
                 {
                     ("NumLayers", 100_000, "declares 100000 layers of hidden size 512"),
                     ("VocabularyRows", 1_000_000_000, "and 1000000000 vocabulary rows"),
                     ("HiddenSize", 16_384, "layers of hidden size 16384"),
                     ("NumHeads", 0, "must be positive"),
                 })
        {
            var tampered = directory.File($"tampered-{key}.zip");
            File.Copy(path, tampered, overwrite: true);
            RewriteConfig(tampered, key, value);

            var error = Assert.ThrowsAny<Exception>(() => ml.Model.Load(tampered, out _));

            while (error.InnerException is not null && error is not InvalidDataException) error = error.InnerException;
            var invalid = Assert.IsType<InvalidDataException>(error);
            Assert.Contains("'use-lite-config.json' in the model zip", invalid.Message);
            Assert.Contains(expected, invalid.Message);
        }
    }

    /// <summary>Sets one size in the zip's USE-Lite configuration (a payload stream: its int64 length, then the JSON).</summary>
    private static void RewriteConfig(string zipPath, string key, int value)
    {
        using var zip = System.IO.Compression.ZipFile.Open(zipPath, System.IO.Compression.ZipArchiveMode.Update);
        var entry = zip.Entries.Single(e => e.Name == ConfigStream);
        System.Text.Json.Nodes.JsonObject config;
        using (var reader = new BinaryReader(entry.Open()))
            config = System.Text.Json.Nodes.JsonNode.Parse(reader.ReadBytes((int)reader.ReadInt64()))!.AsObject();
        Assert.True(config.ContainsKey(key), $"the saved USE-Lite configuration has no '{key}'");
        config[key] = value;
        var bytes = System.Text.Encoding.UTF8.GetBytes(config.ToJsonString());
        var name = entry.FullName;
        entry.Delete();
        using var writer = new BinaryWriter(zip.CreateEntry(name).Open());
        writer.Write((long)bytes.Length);
        writer.Write(bytes);
    }
}
