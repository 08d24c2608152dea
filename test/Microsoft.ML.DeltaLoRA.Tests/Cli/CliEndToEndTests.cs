using System.Globalization;
using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Cli;

/// <summary>train → evaluate → predict through the command line, on the tiny RoBERTa fixture and the small GLUE subsets.</summary>
public class CliEndToEndTests(CliTrainingFixture trained) : IClassFixture<CliTrainingFixture>
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [SharedFact]
    public void Train_prints_a_json_line_with_metrics_in_range_and_the_output_paths()
    {
        var json = trained.Train.Json;
        Assert.Equal("train", json.GetProperty("command").GetString());
        Assert.Equal(256, json.GetProperty("train_rows").GetInt32());
        var metrics = json.GetProperty("metrics");
        Assert.Equal(128, metrics.GetProperty("rows").GetInt32());
        Assert.InRange(metrics.GetProperty("micro_accuracy").GetDouble(), 0, 1);
        Assert.InRange(metrics.GetProperty("macro_accuracy").GetDouble(), 0, 1);
        double logLoss = metrics.GetProperty("log_loss").GetDouble();
        Assert.True(logLoss > 0 && double.IsFinite(logLoss), $"log-loss {logLoss}");
        var classes = metrics.GetProperty("classes").EnumerateArray().ToArray();
        Assert.Equal(["0", "1"], classes.Select(c => c.GetProperty("name").GetString()));
        // The 128 evaluation rows: 57 negative, 71 positive (counted from the file itself below).
        var labels = File.ReadLines(CliTrainingFixture.Sst2Eval).Skip(1).Select(l => l.Split('\t')[1]).ToArray();
        Assert.Equal(labels.Count(l => l == "0"), classes[0].GetProperty("support").GetInt32());
        Assert.Equal(labels.Count(l => l == "1"), classes[1].GetProperty("support").GetInt32());

        var outputs = json.GetProperty("outputs");
        Assert.Equal(trained.ModelPath, outputs.GetProperty("model").GetString());
        Assert.Equal(Path.Combine(trained.Folder, "m.loss.csv"), outputs.GetProperty("loss_csv").GetString());
        Assert.Equal(Path.Combine(trained.Folder, "m.loss.png"), outputs.GetProperty("loss_plot").GetString());
        Assert.True(new FileInfo(trained.ModelPath).Length > 10_000, "the model zip should hold the weights");
        // With --json, standard output is the JSON line alone and the human report goes to standard error.
        Assert.Single(trained.Train.OutputLines);
        Assert.Contains("Test metrics", trained.Train.Error);
        Assert.Contains("Predictions of the reloaded m.zip", trained.Train.Error);
    }

    [SharedFact]
    public void The_loss_csv_has_one_row_per_optimizer_step_and_the_png_is_a_real_image()
    {
        var json = trained.Train.Json;
        var lines = File.ReadAllLines(json.GetProperty("outputs").GetProperty("loss_csv").GetString()!);
        Assert.Equal("step,epoch,loss,learning_rate,validation_metric", lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        int expectedSteps = (int)Math.Ceiling(256 / 16.0); // 256 rows, batch 16, 1 epoch
        Assert.Equal(expectedSteps, rows.Length);
        Assert.Equal(expectedSteps, json.GetProperty("steps").GetInt32());
        Assert.Equal(Enumerable.Range(1, expectedSteps).Select(s => s.ToString(CultureInfo.InvariantCulture)), rows.Select(r => r[0]));
        Assert.Equal(1.0, double.Parse(rows[^1][1], CultureInfo.InvariantCulture), 6);
        Assert.All(rows, r => Assert.InRange(double.Parse(r[2], CultureInfo.InvariantCulture), 0.01, 5));
        Assert.All(rows, r => Assert.InRange(double.Parse(r[3], CultureInfo.InvariantCulture), 0, 5e-4));
        Assert.All(rows, r => Assert.Equal("", r[4])); // no validation set
        Assert.Equal(json.GetProperty("final_loss").GetDouble(), double.Parse(rows[^1][2], CultureInfo.InvariantCulture), 12);

        var png = File.ReadAllBytes(json.GetProperty("outputs").GetProperty("loss_plot").GetString()!);
        Assert.Equal(PngSignature, png[..8]);
        Assert.True(png.Length > 20_000, $"a {png.Length}-byte PNG is too small for a plot");
        Assert.Equal(1000, ReadBigEndian(png, 16)); // IHDR width
        Assert.Equal(600, ReadBigEndian(png, 20)); // IHDR height
    }

    [SharedFact]
    public void Evaluate_of_the_saved_zip_on_the_test_file_gives_the_train_commands_test_metrics()
    {
        var trainMetrics = trained.Train.Json.GetProperty("metrics");
        var evaluate = CliRun.Of("evaluate", "--model", trained.ModelPath, "--dataset", CliTrainingFixture.Sst2Eval, "--json").Succeeded();
        var metrics = evaluate.Json.GetProperty("metrics");
        Assert.Equal(trainMetrics.GetProperty("micro_accuracy").GetDouble(), metrics.GetProperty("micro_accuracy").GetDouble());
        Assert.Equal(trainMetrics.GetProperty("macro_accuracy").GetDouble(), metrics.GetProperty("macro_accuracy").GetDouble());
        Assert.Equal(trainMetrics.GetProperty("log_loss").GetDouble(), metrics.GetProperty("log_loss").GetDouble(), 6);
        Assert.Contains("Accuracy (micro)", evaluate.Error);
    }

    /// <summary>Rows whose label the model never saw cannot be scored: they are counted, and a file with only such rows is an error.</summary>
    [SharedFact]
    public void Evaluate_reports_rows_with_labels_the_model_was_not_trained_on()
    {
        _ = trained.Train;
        using var folder = new TemporaryDirectory();
        var lines = File.ReadLines(CliTrainingFixture.Sst2Eval).Take(41).ToArray();
        var mixed = folder.File("mixed.tsv");
        File.WriteAllLines(mixed, [.. lines, "an unseen class\t2", "another one\tpositive"]);
        var evaluate = CliRun.Of("evaluate", "--model", trained.ModelPath, "--dataset", mixed, "--json").Succeeded();
        Assert.Equal(40, evaluate.Json.GetProperty("metrics").GetProperty("rows").GetInt32());
        Assert.Equal(2, evaluate.Json.GetProperty("skipped_rows").GetInt32());
        Assert.Contains($"warning: skipped 2 of 42 rows of '{mixed}': 2 with a label the model was not trained on such as '2' (first on line 42)", evaluate.Error);

        var unseen = folder.File("unseen.tsv");
        File.WriteAllLines(unseen, ["sentence\tlabel", "an unseen class\t2", "another one\tpositive"]);
        CliRun.Of("evaluate", "--model", trained.ModelPath, "--dataset", unseen).FailedWith($"--dataset '{unseen}' has no usable rows: skipped 2 of 2 rows");
    }

    [SharedFact]
    public void Predict_prints_one_line_per_input_and_agrees_with_evaluate_on_every_row()
    {
        var texts = new[] { "a gorgeous , witty , seductive movie .", "the plot is nothing but boilerplate clichés", "ok" };
        var predict = CliRun.Of(["predict", "--model", trained.ModelPath, .. texts]).Succeeded();
        var lines = predict.OutputLines;
        Assert.Equal(texts.Length, lines.Length);
        for (int i = 0; i < texts.Length; i++)
        {
            var fields = lines[i].Split('\t');
            Assert.Contains(fields[0], new[] { "0", "1" });
            Assert.InRange(double.Parse(fields[1], CultureInfo.InvariantCulture), 0.5, 1.0); // the top class of two
            Assert.Equal(texts[i], fields[2]);
        }

        // Every evaluation row through --input: the share predicted right must be evaluate's accuracy.
        var rows = File.ReadLines(CliTrainingFixture.Sst2Eval).Skip(1).Select(l => l.Split('\t')).ToArray();
        var input = Path.Combine(trained.Folder, "sentences.txt");
        File.WriteAllLines(input, rows.Select(r => r[0]));
        var all = CliRun.Of("predict", "--model", trained.ModelPath, "--input", input, "--json").Succeeded().OutputLines
            .Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(rows.Length, all.Length);
        double accuracy = all.Zip(rows).Count(p => p.First.GetProperty("predicted").GetString() == p.Second[1]) / (double)rows.Length;
        Assert.Equal(trained.Train.Json.GetProperty("metrics").GetProperty("micro_accuracy").GetDouble(), accuracy, 12);
        Assert.All(all, p => Assert.Equal(1.0, p.GetProperty("probabilities").EnumerateObject().Sum(c => c.Value.GetDouble()), 5));
    }

    /// <summary>Plain output is one line per input with tab-separated fields, whatever the text holds; blank input lines are counted.</summary>
    [SharedFact]
    public void Predict_escapes_tabs_and_line_breaks_and_reports_blank_input_lines()
    {
        _ = trained.Train; // the model
        var run = CliRun.Of("predict", "--model", trained.ModelPath, "a\ttab and\na line break", "back\\slash\r").Succeeded();
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal("a\\ttab and\\na line break", lines[0].Split('\t')[2]);
        Assert.Equal("back\\\\slash\\r", lines[1].Split('\t')[2]);

        var input = Path.Combine(trained.Folder, "with-blanks.txt");
        File.WriteAllText(input, "first\n\nsecond\n   \nthird\n");
        var withBlanks = CliRun.Of("predict", "--model", trained.ModelPath, "--input", input).Succeeded();
        Assert.Equal(3, withBlanks.OutputLines.Length);
        Assert.Contains($"warning: skipped 2 blank line(s) of '{input}' (first on line 2); the other 3 are predicted.", withBlanks.Error);
    }

    [SharedFact]
    public void A_text_pair_model_trains_on_rte_with_a_validation_set_and_predicts_pairs()
    {
        using var folder = new TemporaryDirectory();
        var model = folder.File("rte.zip");
        var train = CliRun.Of("train", "--dataset", SharedData.PathOf("data", "small", "rte_train_128.tsv"),
            "--validation-dataset", SharedData.PathOf("data", "small", "rte_eval_64.tsv"), "--test-dataset", SharedData.PathOf("data", "small", "rte_eval_64.tsv"),
            "--text-col", "sentence1", "--text2-col", "sentence2", "--label-col", "label", "--model", CliTrainingFixture.RobertaFolder,
            "--method", "lora", "--epochs", "1", "--batch-size", "32", "--json", "--out", model).Succeeded();

        var json = train.Json;
        Assert.Equal("LoRA", json.GetProperty("method").GetString());
        Assert.Equal(["entailment", "not_entailment"], json.GetProperty("metrics").GetProperty("classes").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        var csv = File.ReadAllLines(folder.File("rte.loss.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(4, csv.Length); // 128 rows / batch 32
        Assert.All(csv[..^1], r => Assert.Equal("", r[4]));
        Assert.InRange(double.Parse(csv[^1][4], CultureInfo.InvariantCulture), 0, 1); // validated after the epoch

        var predict = CliRun.Of("predict", "--model", model, "A cat sat on the mat. ||| An animal sat.", "It rained.\tThe ground is dry.").Succeeded();
        Assert.Equal(2, predict.OutputLines.Length);
        Assert.All(predict.OutputLines, l => Assert.Contains(l.Split('\t')[0], new[] { "entailment", "not_entailment" }));
        Assert.EndsWith("It rained. ||| The ground is dry.", predict.OutputLines[1]);

        CliRun.Of("predict", "--model", model, "only one text").FailedWith("reads text pairs", "'sentence1', 'sentence2'");
    }

    [SharedFact]
    public void Regression_on_stsb_reports_errors_that_predict_reproduces()
    {
        using var folder = new TemporaryDirectory();
        var model = folder.File("stsb.zip");
        var eval = SharedData.PathOf("data", "small", "stsb_eval_64.tsv");
        var train = CliRun.Of("train", "--dataset", SharedData.PathOf("data", "small", "stsb_train_128.tsv"), "--test-dataset", eval,
            "--task", "regression", "--label-col", "score", "--text-col", "sentence1", "--text2-col", "sentence2",
            "--model", CliTrainingFixture.RobertaFolder, "--epochs", "1", "--json", "--out", model).Succeeded();
        var metrics = train.Json.GetProperty("metrics");
        double mse = metrics.GetProperty("mse").GetDouble();
        Assert.Equal(Math.Sqrt(mse), metrics.GetProperty("rmse").GetDouble(), 9);
        Assert.False(metrics.TryGetProperty("classes", out _));

        // Every evaluation pair through predict (tab-separated pairs); the mean squared error against the file's scores must match.
        var rows = File.ReadLines(eval).Skip(1).Select(l => l.Split('\t')).ToArray();
        Assert.Equal(rows.Length, metrics.GetProperty("rows").GetInt32());
        var input = folder.File("pairs.tsv");
        File.WriteAllLines(input, rows.Select(r => $"{r[7]}\t{r[8]}"));
        var predicted = CliRun.Of("predict", "--model", model, "--input", input).Succeeded().OutputLines
            .Select(l => double.Parse(l.Split('\t')[0], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(rows.Length, predicted.Length);
        double recomputed = predicted.Zip(rows).Average(p => Math.Pow(p.First - double.Parse(p.Second[9], CultureInfo.InvariantCulture), 2));
        Assert.InRange(recomputed, mse - 1e-3, mse + 1e-3); // predict prints 4 decimals (a tolerance: rounding both to 3 decimals can split them)

        var evaluate = CliRun.Of("evaluate", "--model", model, "--dataset", eval, "--json").Succeeded();
        Assert.Equal(mse, evaluate.Json.GetProperty("metrics").GetProperty("mse").GetDouble(), 9);
    }

    [SharedFact]
    public void Max_rows_trains_on_a_random_subset_and_a_csv_copy_of_the_data_reads_the_same()
    {
        using var folder = new TemporaryDirectory();
        // The same SST-2 rows as a CSV without a header (quoted where a sentence holds a comma or a quote), columns by index.
        var csv = folder.File("sst2.csv");
        File.WriteAllLines(csv, File.ReadLines(CliTrainingFixture.Sst2Train).Skip(1).Select(l => l.Split('\t'))
            .Select(f => $"{f[1]},\"{f[0].Replace("\"", "\"\"")}\""));
        var run = CliRun.Of("train", "--dataset", csv, "--has-header", "false", "--label-col", "0", "--text-col", "1",
            "--test-fraction", "0.25", "--max-rows", "100", "--model", CliTrainingFixture.RobertaFolder, "--epochs", "1", "--batch-size", "32",
            "--examples", "0", "--json", "--out", folder.File("m.zip")).Succeeded();
        Assert.Equal(100, run.Json.GetProperty("train_rows").GetInt32());
        Assert.Equal(4, run.Json.GetProperty("steps").GetInt32()); // ceil(100 / 32)
        Assert.InRange(run.Json.GetProperty("metrics").GetProperty("rows").GetInt32(), 40, 90); // about a quarter of 256
        Assert.Contains("label 'col0', text 'col1'", run.Error);
        Assert.Contains("training on 100 of", run.Error);
    }

    private static int ReadBigEndian(byte[] bytes, int offset)
        => (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];
}
