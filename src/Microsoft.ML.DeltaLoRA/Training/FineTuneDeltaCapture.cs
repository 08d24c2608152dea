using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Training;

/// <summary>
/// Reads a LoRA or Delta-LoRA run's <see cref="FineTuneDelta"/> off the model before its adapters are merged. Summed over
/// the steps K+1…t that moved W, the Delta-LoRA rule telescopes to W_t − W_0 = λ·s·(B_t·A_t − B_K·A_K); merging then adds
/// s·B_t·A_t. So each adapted weight's change is Left·Right with
/// <code>
///   Left = [(1+λ)·s·B_t, −λ·s·B_K]   (out × 2r)      Right = [A_t; A_K]   (2r × in)
/// </code>
/// and when B_K = 0 (K = 0: B starts at zero) the second half is zero and is dropped: Left = (1+λ)·s·B_t, Right = A_t (rank r).
/// When W has not moved (LoRA, λ = 0, or weights from a step t ≤ K), Left = s·B_t and Right = A_t, and the record's
/// <see cref="FineTuneDelta.UpdateRatio"/> is 0: it is the λ the factors were built with, so that the record stays self-consistent.
/// </summary>
internal static class FineTuneDeltaCapture
{
    /// <param name="model">The trained model, adapters not yet merged.</param>
    /// <param name="trained">Every parameter the optimizer trained, by name (adapters included; they are recognised and skipped).</param>
    /// <param name="rule">The Delta-LoRA rule of the run, or null for LoRA.</param>
    /// <param name="weightsStep">The optimizer step the model's weights come from (earlier than the last when early stopping restored the best epoch).</param>
    /// <param name="options">The run's options: r and α as configured.</param>
    public static FineTuneDelta Capture(SequenceClassifier model, IEnumerable<(string Name, TorchSharp.Modules.Parameter Parameter)> trained,
        DeltaLoRAUpdate? rule, int weightsStep, FineTuningOptions options)
    {
        double lambda = rule is not null && weightsStep > rule.StartSteps ? rule.UpdateRatio : 0;
        var adapted = AdapterInjector.AdaptedLayers(model);
        var weights = new List<LowRankWeightDelta>(adapted.Count);
        using (torch.no_grad())
        {
            foreach (var (name, layer) in adapted)
            {
                using var scope = torch.NewDisposeScope();
                double scaling = layer.Scaling;
                var bT = layer.lora_B!.detach().to(ScalarType.Float32);
                var aT = layer.lora_A!.detach().to(ScalarType.Float32);
                Tensor left, right;
                var start = lambda == 0 ? null : rule!.StartFactors(layer);
                if (lambda != 0 && start is null)
                    throw new InvalidOperationException($"The Delta-LoRA rule has no A_K, B_K for layer '{name}' although W moved; the step counts disagree.");
                if (start is { } k && torch.count_nonzero(k.B).item<long>() > 0)
                {
                    using var own = ((1 + lambda) * scaling).ToScalar();
                    using var past = (-lambda * scaling).ToScalar();
                    left = torch.cat([bT.mul(own), k.B.to(ScalarType.Float32).mul(past)], dim: 1);
                    right = torch.cat([aT, k.A.to(ScalarType.Float32)], dim: 0);
                }
                else
                {
                    using var factor = ((1 + lambda) * scaling).ToScalar();
                    left = bT.mul(factor);
                    right = aT;
                }
                weights.Add(new LowRankWeightDelta(name + ".weight", (int)layer.OutFeatures, (int)layer.InFeatures, (int)right.shape[0],
                    Values(left), Values(right)));
            }
        }
        var others = new Dictionary<string, TrainedTensor>(StringComparer.Ordinal);
        foreach (var (name, parameter) in trained)
        {
            if (name.EndsWith(".lora_A", StringComparison.Ordinal) || name.EndsWith(".lora_B", StringComparison.Ordinal)) continue;
            others[name] = new TrainedTensor(parameter.shape.ToArray(), Values(parameter));
        }
        return new FineTuneDelta(weights, others, options.Rank, options.Alpha, lambda);
    }

    private static float[] Values(Tensor tensor)
    {
        using var scope = torch.NewDisposeScope();
        return tensor.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
    }
}
