using BenchmarkDotNet.Attributes;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>How a layer trains in the adapter benchmark.</summary>
public enum LayerTraining
{
    /// <summary>No adapter, W frozen: only ∂x flows back (a frozen layer inside a LoRA model).</summary>
    FrozenWeight,
    /// <summary>Rank-8 adapter, W frozen: ∂x, ∂A, ∂B (an adapted layer under LoRA / Delta-LoRA).</summary>
    Adapter,
    /// <summary>No adapter, W trains: ∂x and ∂W (full fine-tuning).</summary>
    FullWeight,
}

/// <summary>
/// One BERT-base <c>LoRALinear</c> (768×768) on a [16, 128, 768] activation: forward (inference, no_grad) and forward + backward,
/// with and without an adapter. Run with <c>bdn --filter *AdapterBenchmarks*</c>.
/// </summary>
[Config(typeof(MicroBenchmarkConfig))]
public class AdapterBenchmarks
{
    private LoRALinear? _layer;
    private Tensor? _input;

    [Params(LayerTraining.FrozenWeight, LayerTraining.Adapter, LayerTraining.FullWeight)]
    public LayerTraining Training { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        torch.manual_seed(0);
        _layer = new LoRALinear(768, 768);
        if (Training == LayerTraining.Adapter) _layer.AttachAdapter(8, 16);
        _layer.weight.requires_grad = Training == LayerTraining.FullWeight;
        _layer.bias!.requires_grad = Training == LayerTraining.FullWeight;
        _input = torch.randn(16, 128, 768).requires_grad_(true);
    }

    [Benchmark]
    public void Forward()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        _layer!.forward(_input!);
    }

    [Benchmark]
    public void ForwardBackward()
    {
        using var scope = torch.NewDisposeScope();
        var output = _layer!.forward(_input!);
        output.sum().backward();
        _input!.grad?.zero_();
        foreach (var parameter in _layer.parameters()) parameter.grad?.zero_();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _layer?.Dispose();
        _input?.Dispose();
    }
}
