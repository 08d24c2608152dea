using System.Globalization;
using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.GpuCheck;

/// <summary>
/// (a) Replays the reference trajectories of fixtures/trajectories (six AdamW steps computed with transformers 4.31 and
/// torch.optim.AdamW; their <c>conventions</c> field is the contract, as in the test suite's TrajectoryTests) on the device, and
/// measures the largest distance from the reference of every loss, final tensor and eval logit. The bounds are the test suite's:
/// 1e-4 absolute for losses and logits, 1e-4 relative (Frobenius) for tensors; the attention key bias, which has no effect on
/// any output and so only carries Adam's treatment of rounding noise, is bounded by two runs of Adam steps.
/// </summary>
internal static class TrajectoryCheck
{
    private const double Tolerance = 1e-4;
    private static readonly string[] Families = ["bert", "roberta", "distilbert"];
    private static readonly string[] Cases = ["delta", "lora", "full"];

    public static SectionResult Run(CheckOptions options, Device device)
    {
        var result = new SectionResult("trajectories", "(a) Reference trajectories replayed on the device");
        result.Columns.AddRange(["case", "max |loss − ref|", "max ‖tensor − ref‖/‖ref‖", "max |logit − ref|", "pass"]);
        foreach (var family in Families)
            foreach (var caseName in Cases)
            {
                var (loss, tensor, logit, problems) = Replay(options.SharedFolder, family, caseName, device);
                foreach (var problem in problems) result.Fail($"{family}/{caseName}: {problem}");
                result.Rows.Add([$"{family}/{caseName}", Format(loss), Format(tensor), Format(logit), problems.Count == 0 ? "yes" : "no"]);
            }
        result.Summary = $"9 cases (Delta-LoRA, LoRA, full × BERT, RoBERTa, DistilBERT) on {device}; bounds as in the test suite (1e-4).";
        return result;
    }

    private static string Format(double value) => value.ToString("0.00e+00", CultureInfo.InvariantCulture);

    private static (double Loss, double Tensor, double Logit, List<string> Problems) Replay(string shared, string family, string caseName, Device device)
    {
        var problems = new List<string>();
        var folder = Path.Combine(shared, "fixtures", "trajectories", family);
        using var fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "trajectory.json")));
        var root = fixture.RootElement;
        var hyper = root.GetProperty("hyperparameters");
        var reference = root.GetProperty("cases").GetProperty(caseName);
        var batches = root.GetProperty("batches").EnumerateArray().ToArray();
        var evalLogits = reference.GetProperty("eval_logits_batch1").EnumerateArray()
            .Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();

        var checkpoint = Path.Combine(shared, "fixtures", "hf", family, root.GetProperty("checkpoint").GetString()!);
        using var model = PretrainedModels.LoadSequenceClassifier(checkpoint, numLabels: evalLogits[0].Length,
            dropoutOverride: hyper.GetProperty("dropout").GetDouble(), device: device);
        int rank = hyper.GetProperty("rank").GetInt32();
        double alpha = hyper.GetProperty("alpha").GetDouble();
        string[]? targets = reference.GetProperty("init").GetString() is string initFile
            ? AttachGivenAdapters(model, Path.Combine(folder, initFile), rank, alpha)
            : null;
        var options = new FineTuningOptions
        {
            Method = caseName switch { "delta" => FineTuningMethod.DeltaLoRA, "lora" => FineTuningMethod.LoRA, _ => FineTuningMethod.Full },
            Rank = rank,
            Alpha = alpha,
            UpdateRatio = hyper.GetProperty("update_ratio").GetDouble(),
            StartSteps = hyper.GetProperty("start_step").GetInt32(),
            TargetModules = targets,
            LearningRate = hyper.GetProperty("lr").GetDouble(),
            Schedule = LearningRateSchedule.Constant,
            WeightDecay = hyper.GetProperty("weight_decay").GetDouble(),
            DecayAllParameters = true,
            MaxGradientNorm = null,
            BatchSize = batches[0].GetProperty("labels").GetArrayLength(),
        };
        using var tuner = new FineTuner(model, options, totalSteps: batches.Length);

        double lossError = 0;
        var losses = reference.GetProperty("losses").EnumerateArray().ToArray();
        for (int step = 0; step < batches.Length; step++)
        {
            using var scope = torch.NewDisposeScope();
            var batch = ToBatch(batches[step], device);
            var labels = torch.tensor(batches[step].GetProperty("labels").EnumerateArray().Select(l => l.GetInt64()).ToArray(), device: device);
            double error = Math.Abs(tuner.Step(batch, labels) - losses[step].GetProperty("loss").GetDouble());
            lossError = Math.Max(lossError, error);
            if (error > Tolerance) problems.Add($"step {step + 1} loss is {error:g3} from the reference");
        }

        double tensorError = 0;
        double keyBiasBound = 2 * options.LearningRate * batches.Length * 1.1;
        using var final = SafetensorsReader.Read(Path.Combine(folder, reference.GetProperty("final").GetString()!));
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, expected) in final)
        {
            if (!parameters.TryGetValue(name, out var actual)) { problems.Add($"the model has no parameter '{name}'"); continue; }
            using var scope = torch.NewDisposeScope();
            if (actual.device_type != device.type) problems.Add($"{name} is on {actual.device}, not {device}");
            var onHost = actual.detach().cpu().to_type(ScalarType.Float64);
            var wanted = expected.to_type(ScalarType.Float64);
            if (name.EndsWith(".key.bias", StringComparison.Ordinal) || name.EndsWith(".k_lin.bias", StringComparison.Ordinal))
            {
                double largest = (onHost - wanted).abs().max().item<double>();
                if (largest > keyBiasBound) problems.Add($"{name} is {largest:g3} from the reference, beyond two runs of Adam steps");
                continue;
            }
            double relative = (onHost - wanted).norm().item<double>() / Math.Max(wanted.norm().item<double>(), 1e-30);
            tensorError = Math.Max(tensorError, relative);
            if (relative > Tolerance) problems.Add($"‖{name} − reference‖/‖reference‖ = {relative:g3}");
        }

        double logitError = 0;
        model.eval();
        using (torch.no_grad())
        using (var scope = torch.NewDisposeScope())
        {
            var logits = model.forward(ToBatch(batches[0], device)).cpu();
            for (int i = 0; i < evalLogits.Length; i++)
                for (int j = 0; j < evalLogits[i].Length; j++)
                    logitError = Math.Max(logitError, Math.Abs(logits[i, j].item<float>() - evalLogits[i][j]));
            if (logitError > Tolerance) problems.Add($"eval logits are up to {logitError:g3} from the reference");
        }
        return (lossError, tensorError, logitError, problems);
    }

    /// <summary>Attaches adapters to the layers the init file names and copies its A matrices; returns the target names.</summary>
    private static string[] AttachGivenAdapters(SequenceClassifier model, string initFile, int rank, double alpha)
    {
        using var initial = SafetensorsReader.Read(initFile);
        var targets = initial.Keys.Select(k => k[..^".lora_A".Length]).Select(n => n[(n.LastIndexOf('.') + 1)..]).Distinct().ToArray();
        AdapterInjector.Inject(model, new AdapterConfig(rank, alpha, RankStabilized: false, targets));
        using var noGrad = torch.no_grad();
        foreach (var (name, layer) in AdapterInjector.AdaptedLayers(model)) layer.lora_A!.copy_(initial[$"{name}.lora_A"]);
        return targets;
    }

    private static EncoderBatch ToBatch(JsonElement batch, Device device)
    {
        Tensor Read(string property)
        {
            var rows = batch.GetProperty(property).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
            return torch.tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length], device: device);
        }
        return new EncoderBatch(Read("input_ids"), Read("attention_mask"));
    }
}
