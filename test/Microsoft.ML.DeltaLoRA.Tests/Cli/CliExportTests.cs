using System.Text.Json.Nodes;
using DeltaLoRA.Cli;
using DeltaLoRA.Cli.Training;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Export;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Cli;

/// <summary>
/// <c>deltalora export</c> on the model <see cref="CliTrainingFixture"/> fine-tuned (RoBERTa fixture, SST-2): the Hugging Face
/// folder it writes reads back to the zip's logits, and every refusal is one line that leaves nothing behind.
/// </summary>
public class CliExportTests(CliTrainingFixture trained) : IClassFixture<CliTrainingFixture>
{
    [SharedFact]
    public void Export_hf_writes_a_folder_that_our_loader_reads_back_to_the_fine_tuned_zips_logits_with_its_classes()
    {
        trained.Train.Succeeded();
        using var folder = new TemporaryDirectory();
        var export = folder.File("hf");

        var run = CliRun.Of("export", "--model", trained.ModelPath, "--format", "hf", "--out", export).Succeeded();

        Assert.Equal(Path.GetFullPath(export), run.OutputLines[^1]);
        Assert.Contains("ForSequenceClassification", run.Error);
        using var zip = SavedModel.Load(new MLContext(seed: 1), trained.ModelPath);
        var engine = Assert.IsType<TorchSharpScoringEngine>(zip.Scorer.Scorer.Engine);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(export, "config.json")))!.AsObject();
        Assert.Equal(zip.ClassNames, config["id2label"]!.AsObject().Select(p => p.Value!.GetValue<string>()));
        Assert.Equal("RobertaForSequenceClassification", config["architectures"]![0]!.GetValue<string>());
        Assert.Equal(engine.MaxSequenceLength, config["deltalora"]!["max_sequence_length"]!.GetValue<int>());

        var sentences = HuggingFaceExportTests.Sst2Sentences(64);
        using var reloaded = TextClassificationModel.LoadPretrained(export, engine.Model.NumLabels);
        var before = engine.Model.PredictRaw(sentences, null, engine.MaxSequenceLength, batchSize: 16);
        var after = reloaded.PredictRaw(sentences, null, engine.MaxSequenceLength, batchSize: 16);
        Assert.True(before.Distinct().Count() > 2, "the fine-tuned model should not score every sentence alike");
        Assert.Equal(0f, HuggingFaceExportTests.MaxDifference(before, after));
    }

    [SharedFact]
    public void An_unknown_format_is_one_line_naming_the_formats_and_writes_nothing()
    {
        using var folder = new TemporaryDirectory();
        CliRun.Of("export", "--model", trained.ModelPath, "--format", "tflite", "--out", folder.File("out"))
            .FailedWith("unknown format 'tflite'", "expected one of hf");
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [SharedFact]
    public void Export_peft_writes_an_adapter_that_import_peft_turns_back_into_the_fine_tuned_zips_scores()
    {
        trained.Train.Succeeded();
        using var folder = new TemporaryDirectory();
        var adapter = folder.File("adapter");
        using var zip = SavedModel.Load(new MLContext(seed: 1), trained.ModelPath);

        CliRun.Of("export", "--model", trained.ModelPath, "--format", "peft", "--out", adapter).Succeeded();
        Assert.True(File.Exists(Path.Combine(adapter, "adapter_config.json")));
        Assert.True(File.Exists(Path.Combine(adapter, "adapter_model.safetensors")));
        var imported = folder.File("imported.zip");
        CliRun.Of("import-peft", "--adapter", adapter, "--labels", string.Join(",", zip.ClassNames), "--out", imported).Succeeded();

        using var reloaded = SavedModel.Load(new MLContext(seed: 1), imported);
        var original = Assert.IsType<TorchSharpScoringEngine>(zip.Scorer.Scorer.Engine);
        var fromAdapter = Assert.IsType<TorchSharpScoringEngine>(reloaded.Scorer.Scorer.Engine);
        var sentences = HuggingFaceExportTests.Sst2Sentences(64);
        var before = original.Model.PredictRaw(sentences, null, original.MaxSequenceLength, batchSize: 16);
        var after = fromAdapter.Model.PredictRaw(sentences, null, original.MaxSequenceLength, batchSize: 16);
        Assert.True(before.Distinct().Count() > 2, "the fine-tuned model should not score every sentence alike");
        Assert.True(HuggingFaceExportTests.MaxDifference(before, after) <= 1e-5f, $"largest difference {HuggingFaceExportTests.MaxDifference(before, after)}");
        Assert.Equal(zip.ClassNames, reloaded.ClassNames);
    }

    [SharedFact]
    public void An_existing_out_is_refused_and_left_as_it_was()
    {
        trained.Train.Succeeded();
        using var folder = new TemporaryDirectory();
        var existing = folder.WriteFile("out", "mine");

        var run = CliRun.Of("export", "--model", trained.ModelPath, "--format", "hf", "--out", existing);

        run.FailedWith("--out", "exists already");
        Assert.Single(run.Error.Trim().Split('\n'));
        Assert.Equal("mine", File.ReadAllText(existing));
        Assert.Equal([existing], Directory.GetFileSystemEntries(folder.Path));
    }

    [Theory]
    [InlineData("hf", "missing.zip", "does not exist")]
    [InlineData("hf", "not-a-model.zip", "is not an ML.NET model zip")]
    [InlineData("onnx", "missing.zip", "does not exist")]
    [InlineData("onnx", "not-a-model.zip", "is not an ML.NET model zip")]
    [InlineData("peft", "missing.zip", "does not exist")]
    [InlineData("peft", "not-a-model.zip", "is not an ML.NET model zip")]
    [InlineData("mlnet-onnx", "missing.zip", "does not exist")]
    [InlineData("mlnet-onnx", "not-a-model.zip", "is not an ML.NET model zip")]
    [InlineData("compact", "missing.zip", "does not exist")]
    [InlineData("compact", "not-a-model.zip", "is not an ML.NET model zip")]
    public void A_bad_model_is_one_line_and_writes_nothing(string format, string name, string message)
    {
        using var folder = new TemporaryDirectory();
        if (name == "not-a-model.zip") folder.WriteFile(name, "plain text, not a zip");

        var run = CliRun.Of("export", "--model", folder.File(name), "--format", format, "--out", folder.File("out"));

        run.FailedWith(message);
        Assert.Single(run.Error.Trim().Split('\n'));
        Assert.False(Directory.Exists(folder.File("out")));
        Assert.All(Directory.GetFileSystemEntries(folder.Path), entry => Assert.EndsWith(name, entry));
    }

    [Fact]
    public void Format_and_out_are_required()
    {
        var run = CliRun.Of("export", "--model", "m.zip");
        Assert.Equal(CliApp.UsageError, run.ExitCode);
        Assert.Contains("--format", run.Error);
        Assert.Contains("--out", run.Error);
    }
}
