using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Pretrained;
using Xunit.Abstractions;

namespace Microsoft.ML.DeltaLoRA.Tests.Adapters;

/// <summary>
/// The compact save (<see cref="ModelSaveMode.Compact"/>): a LoRA or Delta-LoRA fine-tune stored as its base model by
/// reference plus the rank-r / rank-2r delta and the head. Checked against the full save's predictions on real SST-2 rows,
/// against W_T − W_0 computed from the base checkpoint read independently, against a size bound from the factor counts, and
/// for its refusals (a missing base, a different base).
/// </summary>
public class CompactSaveTests(ITestOutputHelper output)
{
    private const int Rank = 4;
    private const int Steps = 4;
    private const int StartSteps = 2; // K > 0, so that B_K ≠ 0 and a Delta-LoRA delta has rank 2r

    public static TheoryData<string, FineTuningMethod> FixtureCases => new()
    {
        { "bert", FineTuningMethod.LoRA }, { "bert", FineTuningMethod.DeltaLoRA },
        { "roberta", FineTuningMethod.LoRA }, { "roberta", FineTuningMethod.DeltaLoRA },
        { "distilbert", FineTuningMethod.LoRA }, { "distilbert", FineTuningMethod.DeltaLoRA },
    };

    [SharedTheory]
    [MemberData(nameof(FixtureCases))]
    public void A_compact_zip_predicts_what_the_full_zip_predicts_on_real_rows(string family, FineTuningMethod method)
        => CompareCompactWithFull(FixtureFolder(family), method, maxSequenceLength: 64);

    [NamedModelTheory("minilm")]
    [InlineData(FineTuningMethod.LoRA)]
    [InlineData(FineTuningMethod.DeltaLoRA)]
    public void A_compact_MiniLM_zip_predicts_what_the_full_zip_predicts_on_real_rows(FineTuningMethod method)
        => CompareCompactWithFull("minilm", method, maxSequenceLength: 32);

    [SharedTheory]
    [MemberData(nameof(FixtureCases))]
    public void The_stored_factors_reproduce_the_trained_weights_minus_the_base_checkpoints(string family, FineTuningMethod method)
    {
        var baseFolder = FixtureFolder(family);
        var ml = new MLContext(seed: 1);
        using var fitted = Fit(ml, baseFolder, method, ModelSaveMode.Full, maxSequenceLength: 64);
        var model = ((TorchSharpScoringEngine)fitted.Scorer.Engine).Model;
        var delta = model.Delta!;
        using var baseWeights = SafetensorsReader.Read(Path.Combine(baseFolder, "model.safetensors"));
        var trained = ModuleTensors.Export(model.Network);

        // Query and value of every layer, each rank r (LoRA) or 2r (Delta-LoRA past K with B_K ≠ 0).
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(baseFolder, "config.json")))!;
        int layers = (config["num_hidden_layers"] ?? config["n_layers"])!.GetValue<int>();
        Assert.Equal(2 * layers, delta.AdaptedWeights.Count);
        Assert.All(delta.AdaptedWeights, w => Assert.Equal(method == FineTuningMethod.DeltaLoRA ? 2 * Rank : Rank, w.Rank));
        // The other trained tensors are exactly the head's parameters, trained whole.
        var head = trained.Keys.Where(name => model.Network.HeadParameterPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal))).Order(StringComparer.Ordinal);
        Assert.Equal(head, delta.OtherTrainedTensors.Keys.Order(StringComparer.Ordinal));

        double worst = 0;
        foreach (var weight in delta.AdaptedWeights)
        {
            var wT = Values(trained[weight.WeightName]);
            var w0 = Values(baseWeights[weight.WeightName]);
            Assert.Equal(wT.Length, weight.Rows * weight.Columns);
            // Every merge or Delta-LoRA addmm_ on W rounds each element once: at most 2 per step past K, plus the merge.
            double magnitude = wT.Max(v => Math.Abs((double)v));
            double tolerance = (2 * Steps + 2) * magnitude * Math.Pow(2, -23);
            double largestChange = 0;
            for (int i = 0; i < weight.Rows; i++)
            {
                for (int j = 0; j < weight.Columns; j++)
                {
                    double product = 0;
                    for (int k = 0; k < weight.Rank; k++) product += (double)weight.Left[i * weight.Rank + k] * weight.Right[k * weight.Columns + j];
                    double change = (double)wT[i * weight.Columns + j] - w0[i * weight.Columns + j];
                    largestChange = Math.Max(largestChange, Math.Abs(change));
                    double error = Math.Abs(change - product);
                    worst = Math.Max(worst, error / tolerance);
                    Assert.True(error <= tolerance, $"{weight.WeightName}[{i},{j}]: W_T − W_0 = {change}, Left·Right = {product}, tolerance {tolerance}");
                }
            }
            Assert.True(largestChange > 100 * tolerance, $"{weight.WeightName} barely moved ({largestChange}); the check would be empty");
        }
        output.WriteLine($"{family} {method}: largest error {worst:0.000} of the float32 rounding bound");
    }

    [SharedFact]
    public void A_compact_zip_is_smaller_than_its_factors_head_and_tokenizer_files_bound_it()
    {
        var baseFolder = FixtureFolder("bert");
        var ml = new MLContext(seed: 1);
        using var folder = new TemporaryDirectory();
        using var fitted = Fit(ml, baseFolder, FineTuningMethod.DeltaLoRA, ModelSaveMode.Compact, maxSequenceLength: 64);
        var (compact, full) = SaveBoth(ml, fitted, folder);

        // The bound, from the architecture alone: each adapted h×h weight stores 2r·(h + h) floats, the head its parameters
        // (counted on the network), and the files besides the weights are the base folder's config and tokenizer files.
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(baseFolder, "config.json")))!;
        long hidden = config["hidden_size"]!.GetValue<long>(), layers = config["num_hidden_layers"]!.GetValue<long>();
        long factorFloats = 2 * layers * (2 * Rank) * (hidden + hidden);
        var network = ((TorchSharpScoringEngine)fitted.Scorer.Engine).Model.Network;
        long headFloats = network.named_parameters().Where(p => network.HeadParameterPrefixes.Any(prefix => p.name.StartsWith(prefix, StringComparison.Ordinal)))
            .Sum(p => p.parameter.numel());
        long otherFiles = new[] { "config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json" }
            .Select(name => Path.Combine(baseFolder, name)).Where(File.Exists).Sum(path => new FileInfo(path).Length);
        const long Overhead = 32 * 1024; // zip entries, JSON headers, ML.NET's own streams
        long bound = 4 * (factorFloats + headFloats) + otherFiles + Overhead;

        long compactBytes = new FileInfo(compact).Length, fullBytes = new FileInfo(full).Length;
        output.WriteLine($"BERT fixture: full {fullBytes} bytes, compact {compactBytes} bytes, bound {bound} bytes");
        Assert.True(compactBytes < bound, $"compact {compactBytes} bytes, bound {bound}");
        Assert.True(compactBytes < fullBytes, $"compact {compactBytes} bytes, full {fullBytes}");
    }

    [SharedFact]
    public void Loading_a_compact_zip_whose_base_folder_is_gone_names_the_folder_and_a_changed_base_is_refused_naming_both_sums()
    {
        using var folder = new TemporaryDirectory();
        var baseCopy = folder.File("base");
        CopyFolder(FixtureFolder("bert"), baseCopy);
        var ml = new MLContext(seed: 1);
        string zip;
        using (var fitted = Fit(ml, baseCopy, FineTuningMethod.DeltaLoRA, ModelSaveMode.Compact, maxSequenceLength: 64))
            (zip, _) = SaveBoth(ml, fitted, folder);

        var weights = Path.Combine(baseCopy, "model.safetensors");
        var trainedOn = Sha256Of(weights);
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0x01; // one bit of the last weight: the same shapes, a different base
        File.WriteAllBytes(weights, bytes);
        var changed = Sha256Of(weights);
        var refused = Assert.ThrowsAny<Exception>(() => new MLContext().Model.Load(zip, out _));
        Assert.IsType<CompactBaseMismatchException>(Innermost(refused));
        var message = MessagesOf(refused);
        Assert.Contains(trainedOn, message);
        Assert.Contains(changed, message);
        Assert.Contains("different base", message);

        Directory.Delete(baseCopy, recursive: true);
        var missing = Assert.ThrowsAny<Exception>(() => new MLContext().Model.Load(zip, out _));
        Assert.IsType<CompactBaseMissingException>(Innermost(missing));
        Assert.Contains($"needs its base model folder '{Path.GetFullPath(baseCopy)}'", MessagesOf(missing));
        // The CLI says the same in one line, not that the zip is unreadable.
        var cli = Assert.Throws<global::DeltaLoRA.Cli.UserErrorException>(() => global::DeltaLoRA.Cli.Training.SavedModel.Load(new MLContext(), zip));
        Assert.StartsWith($"--model '{zip}': ", cli.Message);
        Assert.Contains($"needs its base model folder '{Path.GetFullPath(baseCopy)}'", cli.Message);
    }

    [Fact]
    public void A_compact_zip_whose_named_base_is_not_fetched_says_what_to_fetch()
    {
        using var emptyCache = new TemporaryDirectory();
        var reference = new BaseModelReference("minilm", null, [new WeightFileSum("model.safetensors", new string('0', 64))]);
        var error = Assert.ThrowsAny<DirectoryNotFoundException>(() => reference.ResolveFolder("the model zip", emptyCache.Path));
        Assert.Contains("deltalora fetch-model minilm", error.Message);
        Assert.Contains(emptyCache.Path, error.Message);
    }

    [SharedFact]
    public void Full_fine_tuning_asked_to_save_compact_saves_in_full_and_says_so()
    {
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        using var folder = new TemporaryDirectory();
        using var fitted = Fit(ml, FixtureFolder("distilbert"), FineTuningMethod.Full, ModelSaveMode.Compact, maxSequenceLength: 64);

        Assert.Equal(ModelSaveMode.Full, fitted.SaveMode);
        Assert.Contains(log, line => line.Contains("full fine-tuning changes every weight: this model saves in full", StringComparison.Ordinal));
        ml.Model.SaveAtomically(fitted, Eval(ml).Schema, folder.File("m.zip"));
        using var loaded = (IDisposable)new MLContext().Model.Load(folder.File("m.zip"), out _);
        Assert.Equal(ModelSaveMode.Full, MLNetTestData.DeltaLoRAPart((ITransformer)loaded).SaveMode);
    }

    /// <summary>Fits, saves compact and full, loads both, and compares their scores on the SST-2 evaluation rows.</summary>
    private void CompareCompactWithFull(string modelPath, FineTuningMethod method, int maxSequenceLength)
    {
        var ml = new MLContext(seed: 1);
        using var folder = new TemporaryDirectory();
        using var fitted = Fit(ml, modelPath, method, ModelSaveMode.Compact, maxSequenceLength);
        Assert.Equal(ModelSaveMode.Compact, fitted.SaveMode);
        var (compact, full) = SaveBoth(ml, fitted, folder);

        using var fromCompact = (IDisposable)new MLContext().Model.Load(compact, out _);
        using var fromFull = (IDisposable)new MLContext().Model.Load(full, out _);
        Assert.Equal(ModelSaveMode.Compact, MLNetTestData.DeltaLoRAPart((ITransformer)fromCompact).SaveMode);
        var eval = Eval(ml);
        var compactScores = MLNetTestData.ReadScores(((ITransformer)fromCompact).Transform(eval));
        var fullScores = MLNetTestData.ReadScores(((ITransformer)fromFull).Transform(eval));
        var fittedScores = MLNetTestData.ReadScores(fitted.Transform(eval));

        Assert.Equal(fullScores.Length, compactScores.Length);
        double largest = compactScores.Zip(fullScores).Max(pair => pair.First.Zip(pair.Second).Max(p => Math.Abs(p.First - p.Second)));
        Assert.True(largest <= 1e-5, $"compact and full scores differ by up to {largest}");
        Assert.True(fittedScores.SelectMany(s => s).Distinct().Count() > 2, "the fine-tuned model should not score every row alike");
        Assert.Equal(fittedScores.SelectMany(s => s), fullScores.SelectMany(s => s));
        output.WriteLine($"{modelPath} {method}: full {new FileInfo(full).Length} bytes, compact {new FileInfo(compact).Length} bytes, largest score difference {largest:g3}");
    }

    private static DeltaLoRATransformer Fit(MLContext ml, string modelPath, FineTuningMethod method, ModelSaveMode saveMode, int maxSequenceLength)
    {
        var train = ml.Data.TakeRows(MLNetTestData.Sst2Loader(ml).Load(MLNetTestData.Sst2Train), 8 * Steps);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train).Transform(train);
        return ml.MulticlassClassification.Trainers.DeltaLoRA(new DeltaLoRAOptions
        {
            ModelPath = modelPath,
            Method = method,
            Rank = Rank,
            Alpha = 2 * Rank,
            StartSteps = StartSteps,
            WarmupSteps = 1,
            LearningRate = method == FineTuningMethod.Full ? 1e-3 : 2e-2,
            MaxSteps = Steps,
            BatchSize = 8,
            MaxSequenceLength = maxSequenceLength,
            Seed = 1,
            SaveMode = saveMode,
        }).Fit(keyed);
    }

    private static IDataView Eval(MLContext ml) => ml.Data.TakeRows(MLNetTestData.Sst2Loader(ml).Load(MLNetTestData.Sst2Eval), 48);

    /// <summary>Saves the fitted model compact then full (the same network); returns both paths.</summary>
    private static (string Compact, string Full) SaveBoth(MLContext ml, DeltaLoRATransformer fitted, TemporaryDirectory folder)
    {
        var engine = (TorchSharpScoringEngine)fitted.Scorer.Engine;
        var schema = Eval(ml).Schema;
        engine.SaveMode = ModelSaveMode.Compact;
        ml.Model.SaveAtomically(fitted, schema, folder.File("compact.zip"));
        engine.SaveMode = ModelSaveMode.Full;
        ml.Model.SaveAtomically(fitted, schema, folder.File("full.zip"));
        engine.SaveMode = ModelSaveMode.Compact;
        return (folder.File("compact.zip"), folder.File("full.zip"));
    }

    private static string FixtureFolder(string family)
        => HuggingFaceFixtures.ModelFolder(family, HuggingFaceFixtures.ClassName(family, "ForSequenceClassification"));

    private static float[] Values(TorchSharp.torch.Tensor tensor)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        return tensor.detach().to(TorchSharp.torch.ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
    }

    private static string Sha256Of(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);

    private static string MessagesOf(Exception e) => e.InnerException is null ? e.Message : e.Message + " | " + MessagesOf(e.InnerException);

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
