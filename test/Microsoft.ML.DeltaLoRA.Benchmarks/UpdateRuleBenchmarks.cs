using BenchmarkDotNet.Attributes;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Microsoft.ML.DeltaLoRA.Training;
using TorchSharp;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>
/// <c>DeltaLoRAUpdate.Apply</c> on BERT-base's adapted layers: 24 LoRALinear 768×768 (query and value of 12 layers) with rank-r
/// adapters. λ = 0 times the snapshot refresh alone (A, B copies); λ = 0.5 adds the two in-place W += ±λ·s·B·A products.
/// Run with <c>bdn --filter *UpdateRuleBenchmarks*</c>.
/// </summary>
[Config(typeof(MicroBenchmarkConfig))]
public class UpdateRuleBenchmarks
{
    private LoRALinear[] _layers = [];
    private DeltaLoRAUpdate? _update;
    private int _step;

    [Params(24)]
    public int AdaptedLayers { get; set; }

    [Params(8)]
    public int Rank { get; set; }

    [Params(0.0, 0.5)]
    public double UpdateRatio { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        torch.manual_seed(0);
        _layers = Enumerable.Range(0, AdaptedLayers).Select(_ => new LoRALinear(768, 768)).ToArray();
        foreach (var layer in _layers)
        {
            layer.AttachAdapter(Rank, alpha: 2 * Rank);
            using var noGrad = torch.no_grad();
            torch.nn.init.normal_(layer.lora_B!, std: 0.01); // B starts at zero; give the update something to move
        }
        _update = new DeltaLoRAUpdate(_layers, UpdateRatio, startSteps: 0);
    }

    [Benchmark]
    public void Apply() => _update!.Apply(++_step);

    [GlobalCleanup]
    public void Cleanup()
    {
        _update?.Dispose();
        foreach (var layer in _layers) layer.Dispose();
    }
}
