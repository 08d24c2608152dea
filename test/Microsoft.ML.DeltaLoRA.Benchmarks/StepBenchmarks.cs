using BenchmarkDotNet.Attributes;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>
/// BenchmarkDotNet view of one optimizer step per method (run with <c>bdn --filter *StepBenchmarks*</c>). Slow on 2 cores;
/// the report runner gives the ratios and memory in one run.
/// </summary>
[MemoryDiagnoser]
public class StepBenchmarks
{
    private BertShapedClassifier? _model;
    private FineTuner? _tuner;
    private EncoderBatch? _batch;
    private Tensor? _labels;

    [Params(FineTuningMethod.LoRA, FineTuningMethod.DeltaLoRA, FineTuningMethod.Full)]
    public FineTuningMethod Method { get; set; }

    [Params(1)]
    public int Layers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        torch.manual_seed(0);
        _model = new BertShapedClassifier(Layers);
        _tuner = new FineTuner(_model, new FineTuningOptions { Method = Method, StartSteps = 0, Seed = 0, MaxSteps = int.MaxValue }, int.MaxValue);
        _batch = new EncoderBatch(torch.randint(1, BertShapedClassifier.Vocabulary, [16, 128], dtype: int64), torch.ones([16, 128], dtype: int64));
        _labels = torch.randint(0, 2, [16], dtype: int64);
    }

    [Benchmark]
    public float OptimizerStep() => _tuner!.Step(_batch!, _labels!);

    [GlobalCleanup]
    public void Cleanup()
    {
        _tuner?.Dispose();
        _batch?.Dispose();
        _labels?.Dispose();
        _model?.Dispose();
    }
}
