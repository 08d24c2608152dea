using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DeltaLoRA.Cli.Training;
using Microsoft.ML.DeltaLoRA.Architectures;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using Microsoft.ML.DeltaLoRA.Tests.Export;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;
using Microsoft.ML.DeltaLoRA.Tests.Pretrained;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.DeltaLoRA.Tests.Cli;

/// <summary>
/// <c>deltalora export --format onnx</c> on a model the CLI fine-tuned from the tiny BERT fixture on SST-2: ONNX Runtime, fed
/// what our tokenizer makes of the exported tokenizer files, gives the zip's predicted classes (through labels.json) and its
/// probabilities; and a bad --model, an existing --out or a USE-Lite model is one line that leaves nothing behind.
/// </summary>
public class CliOnnxExportTests(CliOnnxExportTests.BertTraining trained) : IClassFixture<CliOnnxExportTests.BertTraining>
{
    private const double Tolerance = 1e-4;

    [SharedFact]
    public void Export_onnx_scores_with_onnx_runtime_as_the_zip_predicts()
    {
        trained.Train.Succeeded();
        using var folder = new TemporaryDirectory();
        var export = folder.File("onnx");

        var run = CliRun.Of("export", "--model", trained.ModelPath, "--format", "onnx", "--out", export).Succeeded();

        Assert.Equal(Path.GetFullPath(export), run.OutputLines[^1]);
        Assert.Equal(["README.md", "labels.json", "model.onnx", "special_tokens_map.json", "tokenizer_config.json", "vocab.txt"],
            Directory.GetFileSystemEntries(export).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal([Path.GetFullPath(export)], Directory.GetFileSystemEntries(folder.Path).Select(Path.GetFullPath));

        using var zip = SavedModel.Load(new MLContext(seed: 1), trained.ModelPath);
        var engine = Assert.IsType<TorchSharpScoringEngine>(zip.Scorer.Scorer.Engine);
        var labelsJson = JsonNode.Parse(File.ReadAllText(Path.Combine(export, "labels.json")))!;
        Assert.Equal("classification", labelsJson["task"]!.GetValue<string>());
        var labels = labelsJson["labels"]!.AsArray().Select(l => l!.GetValue<string>()).ToArray();
        Assert.Equal(zip.ClassNames, labels);
        var readme = File.ReadAllText(Path.Combine(export, "README.md"));
        Assert.Contains($"{engine.MaxSequenceLength} tokens", readme);
        Assert.Contains("token_type_ids", readme);
        Assert.Contains("InferenceSession", readme);

        var sentences = HuggingFaceExportTests.Sst2Sentences(64);
        var expected = zip.Predict(sentences.Select(s => new TextInput(s)).ToArray());
        var tokenizer = PretrainedTokenizers.Load(export, ModelFamily.Bert);
        using var session = new InferenceSession(Path.Combine(export, "model.onnx"));
        var probabilities = OnnxRuntimeProbabilities(session, tokenizer, sentences, engine.MaxSequenceLength);

        // The README's recipe (Microsoft.ML.Tokenizers' BertTokenizer on the exported vocab.txt) encodes as our tokenizer does.
        Assert.Contains("BertTokenizer.Create(Path.Combine(folder, \"vocab.txt\"), new BertOptions { LowerCaseBeforeTokenization = true, "
            + "RemoveNonSpacingMarks = true, PreTokenizer = new RegexPreTokenizer(wordsAndPunctuation, null) })", readme);
        var pattern = readme.Split("new Regex(@\"")[1].Split("\");")[0];
        var recipe = BertTokenizer.Create(Path.Combine(export, "vocab.txt"), new BertOptions
        {
            LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true, PreTokenizer = new RegexPreTokenizer(new Regex(pattern), null),
        });
        Assert.All(sentences, s => Assert.Equal(tokenizer.EncodeWithoutSpecialTokens(s), recipe.EncodeToIds(s, addSpecialTokens: false)));

        Assert.True(expected.Select(p => p.Predicted).Distinct().Count() > 1 || expected.Select(p => p.Probability).Distinct().Count() > 2,
            "the fine-tuned model should not score every sentence alike");
        for (int row = 0; row < sentences.Length; row++)
        {
            var ours = probabilities[row];
            Assert.Equal(expected[row].Predicted, labels[Array.IndexOf(ours, ours.Max())]);
            for (int k = 0; k < labels.Length; k++)
                Assert.True(Math.Abs(expected[row].ClassProbabilities[labels[k]] - ours[k]) < Tolerance,
                    $"row {row} ('{sentences[row]}'), class {labels[k]}: ORT {ours[k]}, the zip {expected[row].ClassProbabilities[labels[k]]}");
        }
    }

    /// <summary>
    /// <c>--format mlnet-onnx</c>: a zip of the same pipeline that loads into the ONNX Runtime engine by itself and predicts what the
    /// TorchSharp zip predicts (labels, and probabilities within 1e-4), through the CLI's own <c>predict</c> too; a second export of
    /// it is refused by the formats that need the TorchSharp network, in one line.
    /// </summary>
    [SharedFact]
    public void Export_mlnet_onnx_writes_a_zip_that_scores_with_onnx_runtime_as_the_zip_predicts()
    {
        trained.Train.Succeeded();
        using var folder = new TemporaryDirectory();
        var path = folder.File("m-ort.zip");

        var run = CliRun.Of("export", "--model", trained.ModelPath, "--format", "mlnet-onnx", "--out", path).Succeeded();

        Assert.Equal(Path.GetFullPath(path), run.OutputLines[^1]);
        Assert.Equal([Path.GetFullPath(path)], Directory.GetFileSystemEntries(folder.Path).Select(Path.GetFullPath));
        using var original = SavedModel.Load(new MLContext(seed: 1), trained.ModelPath);
        using var converted = SavedModel.Load(new MLContext(seed: 1), path);
        Assert.False(original.Scorer.ScoresWithOnnxRuntime);
        Assert.True(converted.Scorer.ScoresWithOnnxRuntime);
        Assert.Equal(original.ClassNames, converted.ClassNames);
        Assert.Equal(original.InputSchema.Select(c => (c.Name, c.Type)), converted.InputSchema.Select(c => (c.Name, c.Type)));

        var sentences = HuggingFaceExportTests.Sst2Sentences(64);
        var expected = original.Predict(sentences.Select(s => new TextInput(s)).ToArray());
        var actual = converted.Predict(sentences.Select(s => new TextInput(s)).ToArray());
        Assert.True(expected.Select(p => p.Probability).Distinct().Count() > 2, "the fine-tuned model should not score every sentence alike");
        for (int row = 0; row < sentences.Length; row++)
        {
            Assert.Equal(expected[row].Predicted, actual[row].Predicted);
            foreach (var (label, probability) in expected[row].ClassProbabilities)
                Assert.True(Math.Abs(probability - actual[row].ClassProbabilities[label]) < Tolerance, $"row {row}, class {label}");
        }
        var predict = CliRun.Of("predict", "--model", path, sentences[0]).Succeeded();
        Assert.Contains(expected[0].Predicted, predict.Output);

        var again = CliRun.Of("export", "--model", path, "--format", "hf", "--out", folder.File("hf"));
        again.FailedWith("onnx-runtime");
        Assert.Single(again.Error.Trim().Split('\n'));
        Assert.False(Directory.Exists(folder.File("hf")));
    }

    [SharedFact]
    public void An_existing_out_is_refused_and_left_as_it_was()
    {
        trained.Train.Succeeded();
        using var folder = new TemporaryDirectory();
        var existing = Path.Combine(folder.Path, "out");
        Directory.CreateDirectory(existing);
        File.WriteAllText(Path.Combine(existing, "mine.txt"), "mine");

        var run = CliRun.Of("export", "--model", trained.ModelPath, "--format", "onnx", "--out", existing);

        run.FailedWith("--out", "exists already");
        Assert.Single(run.Error.Trim().Split('\n'));
        Assert.Equal([Path.Combine(existing, "mine.txt")], Directory.GetFileSystemEntries(existing));
        Assert.Equal([existing], Directory.GetFileSystemEntries(folder.Path));
    }

    [NamedModelFact("use-lite")]
    public void A_use_lite_model_is_one_line_saying_why_and_writes_nothing()
    {
        using var folder = new TemporaryDirectory();
        var rows = folder.WriteFile("train.tsv", string.Join("\n", File.ReadLines(CliTrainingFixture.Sst2Train).Take(17)) + "\n");
        CliRun.Of("train", "--dataset", rows, "--model", "use-lite", "--epochs", "1", "--out", folder.File("m.zip")).Succeeded();

        var run = CliRun.Of("export", "--model", folder.File("m.zip"), "--format", "onnx", "--out", folder.File("out"));

        run.FailedWith("USE-Lite models cannot be exported to ONNX");
        Assert.Single(run.Error.Trim().Split('\n'));
        Assert.All(Directory.GetFileSystemEntries(folder.Path), entry => Assert.DoesNotContain("out", Path.GetFileName(entry)));
    }

    /// <summary>ORT's probabilities per sentence, fed padded batches of 16 of what <paramref name="tokenizer"/> makes of them.</summary>
    private static float[][] OnnxRuntimeProbabilities(InferenceSession session, SequenceTokenizer tokenizer, string[] sentences, int maxSequenceLength)
    {
        var rows = new List<float[]>();
        foreach (var chunk in sentences.Chunk(16))
        {
            var encoded = chunk.Select(s => tokenizer.Encode(s, null, maxSequenceLength)).ToArray();
            int width = encoded.Max(e => e.InputIds.Length);
            long[] Padded(Func<EncodedSequence, int[]> values, Func<EncodedSequence, int, long> padding)
                => encoded.SelectMany(e => Enumerable.Range(0, width).Select(i => i < e.InputIds.Length ? values(e)[i] : padding(e, i))).ToArray();
            NamedOnnxValue Input(string name, long[] values) => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(values, [encoded.Length, width]));
            using var results = session.Run(
            [
                Input("input_ids", Padded(e => e.InputIds, (_, _) => tokenizer.PadTokenId)),
                Input("attention_mask", Padded(e => e.InputIds.Select(_ => 1).ToArray(), (_, _) => 0)),
                Input("token_type_ids", Padded(e => e.TokenTypeIds, (_, _) => 0)),
            ]);
            var probabilities = results.Single(r => r.Name == "probabilities").AsEnumerable<float>().ToArray();
            rows.AddRange(probabilities.Chunk(probabilities.Length / encoded.Length));
        }
        return rows.ToArray();
    }

    /// <summary>One <c>train</c> run: SST-2 (256 rows) on the tiny BERT fixture, 1 epoch. Runs only when ../shared is there.</summary>
    public sealed class BertTraining : IDisposable
    {
        private readonly TemporaryDirectory _folder = new();
        private readonly Lazy<CliRun> _train;

        public BertTraining()
        {
            _train = new Lazy<CliRun>(() => CliRun.Of(
                "train", "--dataset", CliTrainingFixture.Sst2Train, "--model", SharedData.PathOf("fixtures", "hf", "bert", "BertForSequenceClassification"),
                "--epochs", "1", "--out", ModelPath));
        }

        public string ModelPath => _folder.File("m.zip");

        public CliRun Train => _train.Value.Succeeded();

        public void Dispose() => _folder.Dispose();
    }
}
