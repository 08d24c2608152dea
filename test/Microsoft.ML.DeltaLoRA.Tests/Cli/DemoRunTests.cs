using DeltaLoRA.Cli.Data;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Cli;

/// <summary>The main job's path, <c>train</c> with no dataset (SpamAssassin and all-MiniLM-L6-v2), cut down to two training steps.</summary>
public class DemoRunTests
{
    [DemoDataFact]
    public void Train_without_a_dataset_fine_tunes_minilm_on_the_spam_corpus_and_tests_on_its_fixed_split()
    {
        using var folder = new TemporaryDirectory();
        var run = CliRun.Of("train", "--max-rows", "32", "--epochs", "1", "--examples", "4", "--json", "--out", folder.File("model.zip")).Succeeded();

        var json = run.Json;
        Assert.Equal("spam-assassin", json.GetProperty("dataset").GetString());
        Assert.Equal(32, json.GetProperty("train_rows").GetInt32());
        Assert.Equal(2, json.GetProperty("steps").GetInt32()); // 32 rows, batch 16
        var messages = Directory.EnumerateFiles(Path.Combine(DemoDataset.Folder, "package", "data"), "*.json", SearchOption.AllDirectories)
            .Count(f => Path.GetFileName(Path.GetDirectoryName(f)) is not "data");
        var metrics = json.GetProperty("metrics");
        Assert.Equal((int)Math.Round(messages * 0.2), metrics.GetProperty("rows").GetInt32());
        Assert.Equal(["ham", "spam"], metrics.GetProperty("classes").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.InRange(metrics.GetProperty("micro_accuracy").GetDouble(), 0, 1);
        Assert.True(File.Exists(folder.File("model.zip")) && File.Exists(folder.File("model.loss.csv")) && File.Exists(folder.File("model.loss.png")));

        Assert.Contains("all-MiniLM-L6-v2", run.Error);
        Assert.Contains("Predictions of the reloaded model.zip", run.Error);
        Assert.Contains("│ spam ", run.Error);
        Assert.Contains("│ ham ", run.Error);
    }
}
