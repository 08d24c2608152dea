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
/// and from step K on A_K and B_K, which the telescoped sum W_T − W_0 = λ·s·(B_T·A_T − B_K·A_K) needs (<see cref="StartFactors"/>).
/// </summary>
internal sealed class DeltaLoRAUpdate : IDisposable
{
    private readonly List<(LoRALinear Layer, Tensor PreviousA, Tensor PreviousB)> _layers = [];
    private List<(Tensor A, Tensor B)>? _startFactors;

    /// <param name="layers">The layers with adapters; their current A and B become the first A_{s−1}, B_{s−1}.</param>
    /// <param name="updateRatio">λ (validated with the options); 0 leaves W untouched.</param>
    /// <param name="startSteps">K: W moves after optimizer steps K+1, K+2, …</param>
    public DeltaLoRAUpdate(IEnumerable<LoRALinear> layers, double updateRatio, int startSteps)
    {
        ArgumentNullException.ThrowIfNull(layers);
        UpdateRatio = updateRatio;
        StartSteps = startSteps;
        using var noGrad = torch.no_grad();
        foreach (var layer in layers)
        {
            if (!layer.HasAdapter) throw new InvalidOperationException("Delta-LoRA needs layers with adapters; this LoRALinear has none.");
            _layers.Add((layer, layer.lora_A!.clone().DetachFromDisposeScope(), layer.lora_B!.clone().DetachFromDisposeScope()));
        }
        if (StartSteps == 0) SnapshotStartFactors();
    }

    /// <summary>
    /// A_K and B_K of <paramref name="layer"/> (K = 0: the initial A_0 and B_0); null before step K has completed. Owned by
    /// this rule: valid until it is disposed.
    /// </summary>
    public (Tensor A, Tensor B)? StartFactors(LoRALinear layer)
    {
        int index = _layers.FindIndex(entry => ReferenceEquals(entry.Layer, layer));
        if (index < 0) throw new ArgumentException("This layer is not one the Delta-LoRA rule updates.", nameof(layer));
        return _startFactors?[index];
    }

    /// <summary>λ.</summary>
    public double UpdateRatio { get; }

    /// <summary>K.</summary>
    public int StartSteps { get; }

    /// <summary>Every tensor <see cref="Apply"/> reads or writes, named: each layer's W, A and B and the snapshots of A and B.</summary>
    internal IEnumerable<(string Name, Tensor Tensor)> Tensors => _layers.SelectMany((entry, i) => new (string, Tensor)[]
    {
        ($"layer {i} W", entry.Layer.weight), ($"layer {i} A", entry.Layer.lora_A!), ($"layer {i} B", entry.Layer.lora_B!),
        ($"layer {i} A snapshot", entry.PreviousA), ($"layer {i} B snapshot", entry.PreviousB),
    });

    /// <summary>Call right after <c>optimizer.step()</c> of optimizer step <paramref name="step"/> (1-based).</summary>
    public void Apply(int step)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, $"Optimizer steps count from 1; found {step}.");
        using var noGrad = torch.no_grad();
        foreach (var (layer, previousA, previousB) in _layers)
        {
            if (step > StartSteps && UpdateRatio != 0)
            {
                // W ← W + λ·s·B_s·A_s − λ·s·B_{s−1}·A_{s−1}: two fused W += β·X·Y on W itself, with no out×in temporary.
                // addmm_ returns W, which must not be disposed.
                float factor = (float)(UpdateRatio * layer.Scaling);
                layer.weight.addmm_(layer.lora_B!, layer.lora_A!, beta: 1, alpha: factor);
                layer.weight.addmm_(previousB, previousA, beta: 1, alpha: -factor);
            }
            // Refreshed after every step, K or not, so that the first update, at s = K+1, subtracts B_K·A_K.
            previousA.copy_(layer.lora_A!);
            previousB.copy_(layer.lora_B!);
        }
        if (step == StartSteps) SnapshotStartFactors();
    }

    private void SnapshotStartFactors()
    {
        using var noGrad = torch.no_grad();
        _startFactors = _layers.Select(entry => (entry.Layer.lora_A!.clone().DetachFromDisposeScope(), entry.Layer.lora_B!.clone().DetachFromDisposeScope())).ToList();
    }

    public void Dispose()
    {
        foreach (var (_, previousA, previousB) in _layers)
        {
            previousA.Dispose();
            previousB.Dispose();
        }
        foreach (var (a, b) in _startFactors ?? []) { a.Dispose(); b.Dispose(); }
        _startFactors = null;
    }
}
