using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Training;

/// <summary>
/// The Delta-LoRA rule (Zi et al. 2023, arXiv 2309.02411, Algorithm 1):
/// <code>
///   W^(t+1) ← W^(t) + λ · (α/r) · ΔAB,   ΔAB = A^(t+1)B^(t+1) − A^(t)B^(t)
/// </code>
/// In our layout (B is out×r, A is r×in, as in PEFT) that is, after optimizer step s with s &gt; K:
/// W ← W + λ·s·(B_s·A_s − B_{s−1}·A_{s−1}), where s·BA is exactly what the layer adds to its output (α/r, or α/√r with rsLoRA).
/// W gets no gradient and no optimizer state: this update is its only change. Holds A_{s−1} and B_{s−1} (r×(in+out) per layer),
/// refreshed after every step, K or not, so that the first update at s = K+1 uses B_K·A_K.
/// </summary>
internal sealed class DeltaLoRAUpdate : IDisposable
{
    private readonly IReadOnlyList<AdaptedLayer> _layers;

    /// <param name="layers">The layers with adapters; their current A and B become the first snapshot.</param>
    /// <param name="updateRatio">λ (validated with the options); 0 leaves W untouched.</param>
    /// <param name="startSteps">K: W moves after optimizer steps K+1, K+2, …</param>
    public DeltaLoRAUpdate(IEnumerable<LoRALinear> layers, double updateRatio, int startSteps)
    {
        ArgumentNullException.ThrowIfNull(layers);
        UpdateRatio = updateRatio;
        StartSteps = startSteps;
        _layers = layers.Select(layer => new AdaptedLayer(layer)).ToList();
    }

    public double UpdateRatio { get; }
    public int StartSteps { get; }

    /// <summary>Call right after <c>optimizer.step()</c> of optimizer step <paramref name="step"/> (1-based).</summary>
    public void Apply(int step)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, $"Optimizer steps count from 1; found {step}.");
        using var noGrad = torch.no_grad();
        foreach (var layer in _layers)
        {
            if (step > StartSteps && UpdateRatio != 0) layer.MoveWeight(UpdateRatio);
            layer.RefreshSnapshot();
        }
    }

    public void Dispose()
    {
        foreach (var layer in _layers) layer.Dispose();
    }

    private sealed class AdaptedLayer : IDisposable
    {
        private readonly LoRALinear _layer;
        private readonly Tensor _previousA;
        private readonly Tensor _previousB;

        public AdaptedLayer(LoRALinear layer)
        {
            if (!layer.HasAdapter) throw new InvalidOperationException("Delta-LoRA needs layers with adapters; this LoRALinear has none.");
            _layer = layer;
            using var noGrad = torch.no_grad();
            _previousA = layer.lora_A!.clone().DetachFromDisposeScope();
            _previousB = layer.lora_B!.clone().DetachFromDisposeScope();
        }

        public void MoveWeight(double updateRatio)
        {
            float factor = (float)(updateRatio * _layer.Scaling);
            // Two fused W += β·X·Y on W itself: no out×in temporary. addmm_ returns W, which must not be disposed.
            _layer.weight.addmm_(_layer.lora_B!, _layer.lora_A!, beta: 1, alpha: factor);
            _layer.weight.addmm_(_previousB, _previousA, beta: 1, alpha: -factor);
        }

        public void RefreshSnapshot()
        {
            _previousA.copy_(_layer.lora_A!);
            _previousB.copy_(_layer.lora_B!);
        }

        public void Dispose()
        {
            _previousA.Dispose();
            _previousB.Dispose();
        }
    }
}
