using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Tests.Training;

/// <summary>
/// Replays the reference trajectories in ../shared/fixtures/trajectories (six AdamW steps computed with transformers 4.31 and
/// torch.optim.AdamW) step by step. Their <c>conventions</c> field is the contract: A as given in *_init_lora_A, B zeros,
/// delta = B·A·α/r, W moves after step s when s &gt; start_step, trainable = adapters + task head (full: everything),
/// decoupled weight decay on every trainable tensor, mean cross-entropy, no schedule, no clipping, dropout 0.
/// </summary>
public class TrajectoryTests
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string, string> Cases => new()
    {
        { "bert", "delta" }, { "bert", "lora" }, { "bert", "full" },
        { "roberta", "delta" }, { "roberta", "lora" }, { "roberta", "full" },
        { "distilbert", "delta" }, { "distilbert", "lora" }, { "distilbert", "full" },
    };

    [SharedTheory]
    [MemberData(nameof(Cases))]
    public void EveryLossFinalTensorAndEvalLogitMatchesTheReference(string family, string caseName)
    {
        var folder = SharedData.PathOf("fixtures", "trajectories", family);
        using var fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "trajectory.json")));
        var root = fixture.RootElement;
        var hyperparameters = root.GetProperty("hyperparameters");
        var referenceCase = root.GetProperty("cases").GetProperty(caseName);
        var batches = root.GetProperty("batches").EnumerateArray().ToArray();
        var evalLogits = ToMatrix(referenceCase.GetProperty("eval_logits_batch1"));
        Assert.Equal("cross_entropy_mean", hyperparameters.GetProperty("loss").GetString());
        Assert.Equal(JsonValueKind.Null, hyperparameters.GetProperty("clip_norm").ValueKind);
        Assert.Equal([0.9, 0.999], hyperparameters.GetProperty("adam_betas").EnumerateArray().Select(b => b.GetDouble()));
        Assert.Equal(1e-8, hyperparameters.GetProperty("adam_eps").GetDouble());

        var checkpoint = SharedData.PathOf("fixtures", "hf", family, root.GetProperty("checkpoint").GetString()!);
        using var model = PretrainedModels.LoadSequenceClassifier(checkpoint, numLabels: evalLogits[0].Length, dropoutOverride: hyperparameters.GetProperty("dropout").GetDouble());
        var method = caseName switch
        {
            "delta" => FineTuningMethod.DeltaLoRA,
            "lora" => FineTuningMethod.LoRA,
            _ => FineTuningMethod.Full,
        };
        int rank = hyperparameters.GetProperty("rank").GetInt32();
        double alpha = hyperparameters.GetProperty("alpha").GetDouble();
        string[]? targets = null;
        if (referenceCase.GetProperty("init").GetString() is string initFile)
            targets = AttachGivenAdapters(model, Path.Combine(folder, initFile), rank, alpha);

        var options = new FineTuningOptions
        {
            Method = method,
            Rank = rank,
            Alpha = alpha,
            UpdateRatio = hyperparameters.GetProperty("update_ratio").GetDouble(),
            StartSteps = hyperparameters.GetProperty("start_step").GetInt32(),
            TargetModules = targets,
            LearningRate = hyperparameters.GetProperty("lr").GetDouble(),
            Schedule = LearningRateSchedule.Constant,
            WeightDecay = hyperparameters.GetProperty("weight_decay").GetDouble(),
            DecayAllParameters = true,
            MaxGradientNorm = null,
            BatchSize = batches[0].GetProperty("labels").GetArrayLength(),
        };
        using var tuner = new FineTuner(model, options, totalSteps: batches.Length);

        var expectedLosses = referenceCase.GetProperty("losses").EnumerateArray().ToArray();
        Assert.Equal(batches.Length, expectedLosses.Length);
        for (int step = 1; step <= batches.Length; step++)
        {
            using var batch = ToBatch(batches[step - 1]);
            using var labels = torch.tensor(batches[step - 1].GetProperty("labels").EnumerateArray().Select(l => l.GetInt64()).ToArray());
            float loss = tuner.Step(batch, labels);
            Assert.Equal(step, expectedLosses[step - 1].GetProperty("step").GetInt32());
            double expected = expectedLosses[step - 1].GetProperty("loss").GetDouble();
            Assert.True(Math.Abs(loss - expected) <= Tolerance, $"{family}/{caseName} step {step}: loss {loss}, reference {expected}");
        }

        using var final = SafetensorsReader.Read(Path.Combine(folder, referenceCase.GetProperty("final").GetString()!));
        var adaptedWeights = AdapterInjector.AdaptedLayers(model).Select(l => $"{l.Name}.weight").ToHashSet();
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name);
        Assert.Equal(final.Keys.Where(k => !adaptedWeights.Contains(k)).Order(), trainable.Order());
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        double stepBound = options.LearningRate * batches.Length * 1.1;
        foreach (var (name, expected) in final)
        {
            Assert.True(parameters.TryGetValue(name, out var actual), $"{family}/{caseName}: the model has no parameter '{name}'.");
            if (IsAttentionKeyBias(name))
            {
                // The key bias adds q·b_k to every score of a query alike, which softmax ignores: it has no effect on any output, and its
                // true gradient is 0. Adam (m̂/(√v̂ + ε)) turns the rounding noise left in that gradient into steps of up to the learning
                // rate, differently in PyTorch and here, so the value can only be bounded: both moved by Adam steps of at most lr each.
                double largest = (actual.detach() - expected).abs().max().item<float>();
                Assert.True(largest <= 2 * stepBound, $"{family}/{caseName}: {name} is {largest} from the reference, beyond two runs of Adam steps.");
                continue;
            }
            double error = (actual.detach().to_type(ScalarType.Float64) - expected.to_type(ScalarType.Float64)).norm().item<double>();
            double scale = expected.to_type(ScalarType.Float64).norm().item<double>();
            Assert.True(error <= Tolerance * scale, $"{family}/{caseName}: ‖{name} − reference‖ = {error}, ‖reference‖ = {scale}");
        }

        model.eval();
        using (torch.no_grad())
        using (var batch = ToBatch(batches[0]))
        {
            using var logits = model.forward(batch);
            AssertLogits(evalLogits, logits, $"{family}/{caseName} eval logits");
            if (method != FineTuningMethod.Full)
            {
                tuner.MergeAdapters();
                using var merged = model.forward(batch);
                AssertLogits(evalLogits, merged, $"{family}/{caseName} eval logits after merging");
            }
        }
    }

    private static bool IsAttentionKeyBias(string name) => name.EndsWith(".key.bias", StringComparison.Ordinal) || name.EndsWith(".k_lin.bias", StringComparison.Ordinal);

    /// <summary>Attaches adapters to the layers named in the init file and copies its A matrices; returns the target names.</summary>
    private static string[] AttachGivenAdapters(SequenceClassifier model, string initFile, int rank, double alpha)
    {
        using var initial = SafetensorsReader.Read(initFile);
        var layerNames = initial.Keys.Select(k => k[..^".lora_A".Length]).ToArray();
        var targets = layerNames.Select(n => n[(n.LastIndexOf('.') + 1)..]).Distinct().ToArray();
        var adapted = AdapterInjector.Inject(model, new AdapterConfig(rank, alpha, RankStabilized: false, targets));
        Assert.Equal(layerNames.Order(), adapted.Order());
        using var noGrad = torch.no_grad();
        foreach (var (name, layer) in AdapterInjector.AdaptedLayers(model))
        {
            var given = initial[$"{name}.lora_A"];
            Assert.Equal(layer.lora_A!.shape, given.shape);
            layer.lora_A.copy_(given);
        }
        return targets;
    }

    private static EncoderBatch ToBatch(JsonElement batch)
    {
        long[,] Read(string property)
        {
            var rows = batch.GetProperty(property).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
            var matrix = new long[rows.Length, rows[0].Length];
            for (int i = 0; i < rows.Length; i++)
                for (int j = 0; j < rows[i].Length; j++) matrix[i, j] = rows[i][j];
            return matrix;
        }
        return new EncoderBatch(torch.tensor(Read("input_ids")), torch.tensor(Read("attention_mask")));
    }

    private static double[][] ToMatrix(JsonElement rows)
        => rows.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();

    private static void AssertLogits(double[][] expected, Tensor actual, string what)
    {
        Assert.Equal([expected.Length, expected[0].Length], actual.shape);
        for (int i = 0; i < expected.Length; i++)
            for (int j = 0; j < expected[i].Length; j++)
            {
                double value = actual[i, j].item<float>();
                Assert.True(Math.Abs(value - expected[i][j]) <= Tolerance, $"{what}[{i}, {j}]: {value}, reference {expected[i][j]}");
            }
    }
}
