using Microsoft.ML.DeltaLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Tests.Training;

/// <summary>
/// Replays the fine-tuner's optimizer steps with an independent implementation of PyTorch's AdamW algorithm
/// (torch.optim.AdamW documentation: decoupled decay θ ← θ·(1 − γλ), then θ ← θ − γ·m̂/(√v̂ + ε), β = (0.9, 0.999), ε = 1e-8),
/// global-norm clipping as torch.nn.utils.clip_grad_norm_ (coefficient max/(‖g‖ + 1e-6), capped at 1) and
/// the linear warmup (s/W from the first step) and Hugging Face's linear decay, all in float64 on a second copy of the model.
/// </summary>
public class AdamWOracleTests
{
    private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;

    [Fact]
    public void StepsMatchPyTorchAdamWWithClippingScheduleAndNoDecayGroup()
    {
        const int totalSteps = 4;
        const double peakLearningRate = 1e-2, weightDecay = 0.1, maxNorm = 0.5;
        var options = new FineTuningOptions
        {
            Method = FineTuningMethod.LoRA, Rank = 2, Alpha = 4, LearningRate = peakLearningRate, WarmupSteps = 1,
            WeightDecay = weightDecay, MaxGradientNorm = maxNorm, Seed = 3,
        };
        using var model = new TinyClassifier(dropoutProbability: 0);
        using var tuner = new FineTuner(model, options, totalSteps);
        using var reference = new TinyClassifier(dropoutProbability: 0);
        AdapterInjector.Inject(reference, new AdapterConfig(2, 4, false, reference.DefaultAdapterTargets));
        CopyParameters(from: model, to: reference);
        var trainable = reference.named_parameters().Where(p => p.name.Contains(".lora_") || p.name.StartsWith("classifier.")).ToArray();
        foreach (var (_, parameter) in reference.named_parameters()) parameter.requires_grad = false;
        foreach (var (_, parameter) in trainable) parameter.requires_grad = true;
        var exactValues = trainable.ToDictionary(p => p.name, p => p.parameter.detach().to_type(ScalarType.Float64));
        var firstMoment = trainable.ToDictionary(p => p.name, p => torch.zeros_like(exactValues[p.name]));
        var secondMoment = trainable.ToDictionary(p => p.name, p => torch.zeros_like(exactValues[p.name]));
        double[] learningRates = [peakLearningRate, peakLearningRate, peakLearningRate * 2 / 3, peakLearningRate / 3]; // s/W, then (T−c)/(T−W)
        var (sequences, labels) = TinyData.Examples(totalSteps * 6, seed: 12);
        bool clipped = false;

        for (int t = 1; t <= totalSteps; t++)
        {
            var batchSequences = sequences.GetRange((t - 1) * 6, 6);
            var batchLabels = labels.GetRange((t - 1) * 6, 6);
            using var batch = TinyData.Batch(batchSequences);
            using var labelTensor = TinyData.ClassLabels(batchLabels);

            // Reference gradients of the mean cross-entropy, clipped by global norm.
            reference.zero_grad();
            using (var loss = functional.cross_entropy(reference.forward(batch), labelTensor)) loss.backward();
            var gradients = trainable.ToDictionary(p => p.name, p => p.parameter.grad!.to_type(ScalarType.Float64));
            double norm = Math.Sqrt(gradients.Values.Sum(g => g.square().sum().item<double>()));
            double clipCoefficient = Math.Min(1, maxNorm / (norm + 1e-6));
            clipped |= clipCoefficient < 1;

            double lr = learningRates[t - 1];
            foreach (var (name, _) in trainable)
            {
                var g = gradients[name] * clipCoefficient;
                firstMoment[name] = Beta1 * firstMoment[name] + (1 - Beta1) * g;
                secondMoment[name] = Beta2 * secondMoment[name] + (1 - Beta2) * g * g;
                double decay = name.EndsWith(".bias") ? 0 : weightDecay;
                var mHat = firstMoment[name] / (1 - Math.Pow(Beta1, t));
                var vHat = secondMoment[name] / (1 - Math.Pow(Beta2, t));
                exactValues[name] = exactValues[name] * (1 - lr * decay) - lr * mHat / (vHat.sqrt() + Epsilon);
            }
            using (torch.no_grad())
            {
                foreach (var (name, parameter) in trainable) parameter.copy_(exactValues[name]);
            }

            tuner.Step(batch, labelTensor);

            Assert.Equal(lr, tuner.LastLearningRate, 15);
            var actual = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, _) in trainable)
            {
                double error = (actual[name].to_type(ScalarType.Float64) - exactValues[name]).abs().max().item<double>();
                Assert.True(error <= 2e-6, $"step {t}: {name} differs from the AdamW oracle by {error}");
            }
        }
        Assert.True(clipped, "The gradient norm never exceeded the limit, so clipping went untested.");
    }

    [Fact]
    public void ClippingToATinyNormShrinksTheFirstAdamStepBelowTheLearningRate()
    {
        // Adam's first step is −γ·g/(|g| + ε): about γ per element unless clipping makes |g| small against ε.
        double LargestFirstStep(double? maxNorm)
        {
            using var model = new TinyClassifier(dropoutProbability: 0);
            var options = new FineTuningOptions { Method = FineTuningMethod.LoRA, LearningRate = 1e-2, Schedule = LearningRateSchedule.Constant, WeightDecay = 0, MaxGradientNorm = maxNorm, Seed = 4 };
            using var tuner = new FineTuner(model, options, 1);
            var before = TinyData.Snapshot(model);
            var (sequences, labels) = TinyData.Examples(8, seed: 5);
            using var batch = TinyData.Batch(sequences);
            using var labelTensor = TinyData.ClassLabels(labels);
            tuner.Step(batch, labelTensor);
            double largest = model.named_parameters().Where(p => p.name.StartsWith("classifier.")).Max(p => (p.parameter - before[p.name]).abs().max().item<float>());
            TinyData.DisposeAll(before);
            return largest;
        }

        Assert.InRange(LargestFirstStep(maxNorm: null), 0.9e-2, 1.01e-2);
        Assert.InRange(LargestFirstStep(maxNorm: 1e-10), 0, 0.011e-2);
    }

    private static void CopyParameters(nn.Module from, nn.Module to)
    {
        var source = from.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var noGrad = torch.no_grad();
        foreach (var (name, parameter) in to.named_parameters()) parameter.copy_(source[name]);
    }
}
