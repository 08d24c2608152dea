using DeltaLoRA.Cli.Training;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Tests.Export;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Cli;

/// <summary>
/// The compact model from the command line: <c>export --format compact</c> rewrites the full zip <see cref="CliTrainingFixture"/>
/// trained (Delta-LoRA, the default) as the base by reference plus the delta, and <c>train --save compact</c> with full
/// fine-tuning saves in full and says so.
/// </summary>
public class CliCompactTests(CliTrainingFixture trained) : IClassFixture<CliTrainingFixture>
{
    [SharedFact]
    public void Export_compact_writes_a_smaller_zip_that_predicts_what_the_full_zip_predicts()
    {
        trained.Train.Succeeded();
        using var folder = new TemporaryDirectory();
        var compact = folder.File("compact.zip");

        var run = CliRun.Of("export", "--model", trained.ModelPath, "--format", "compact", "--out", compact).Succeeded();

        Assert.Equal(Path.GetFullPath(compact), run.OutputLines[^1]);
        Assert.Contains("by reference", run.Error);
        Assert.True(new FileInfo(compact).Length < new FileInfo(trained.ModelPath).Length / 3,
            $"compact {new FileInfo(compact).Length} bytes, full {new FileInfo(trained.ModelPath).Length}");
        using var full = SavedModel.Load(new MLContext(seed: 1), trained.ModelPath);
        using var reloaded = SavedModel.Load(new MLContext(seed: 1), compact);
        var fullEngine = Assert.IsType<TorchSharpScoringEngine>(full.Scorer.Scorer.Engine);
        var compactEngine = Assert.IsType<TorchSharpScoringEngine>(reloaded.Scorer.Scorer.Engine);
        Assert.Equal(ModelSaveMode.Compact, reloaded.Scorer.SaveMode);
        Assert.Equal(full.ClassNames, reloaded.ClassNames);
        var sentences = HuggingFaceExportTests.Sst2Sentences(64);
        var before = fullEngine.Model.PredictRaw(sentences, null, fullEngine.MaxSequenceLength, batchSize: 16);
        var after = compactEngine.Model.PredictRaw(sentences, null, compactEngine.MaxSequenceLength, batchSize: 16);
        Assert.True(HuggingFaceExportTests.MaxDifference(before, after) <= 1e-5);
    }

    [SharedFact]
    public void Train_with_save_compact_and_full_fine_tuning_saves_in_full_warns_and_has_no_compact_or_peft_form()
    {
        using var folder = new TemporaryDirectory();
        var model = folder.File("full.zip");

        var run = CliRun.Of("train", "--dataset", CliTrainingFixture.Sst2Train, "--test-dataset", CliTrainingFixture.Sst2Eval,
            "--model", CliTrainingFixture.RobertaFolder, "--method", "full", "--max-rows", "32", "--epochs", "1", "--save", "compact",
            "--examples", "0", "--json", "--out", model).Succeeded();

        Assert.Contains("warning: --save compact: full fine-tuning changes every weight, so the model was saved in full", run.Error);
        Assert.Equal("full", run.Json.GetProperty("save").GetString());
        using var loaded = SavedModel.Load(new MLContext(seed: 1), model);
        Assert.Equal(ModelSaveMode.Full, loaded.Scorer.SaveMode);

        CliRun.Of("export", "--model", model, "--format", "compact", "--out", folder.File("compact.zip"))
            .FailedWith("--format compact", "no compact form");
        Assert.False(File.Exists(folder.File("compact.zip")));
        CliRun.Of("export", "--model", model, "--format", "peft", "--out", folder.File("adapter"))
            .FailedWith("--format peft", "not what the fine-tune changed", "--format hf");
        Assert.False(Directory.Exists(folder.File("adapter")));
    }
}
