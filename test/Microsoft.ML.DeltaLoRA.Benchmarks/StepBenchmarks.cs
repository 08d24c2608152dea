using BenchmarkDotNet.Attributes;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Training;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>
/// BenchmarkDotNet view of one optimizer step per method on the BERT-base-shaped BertForSequenceClassification (one layer by
/// default; run with <c>bdn --filter *StepBenchmarks*</c>). The perf report gives the full-depth ratios, MFU and memory in one run.
/// </summary>
[Config(typeof(MicroBenchmarkConfig))]
public class StepBenchmarks
{
    private SequenceClassifier? _model;
    private FineTuner? _tuner;
    private TrainingBatch? _batch;

    [Params(FineTuningMethod.LoRA, FineTuningMethod.DeltaLoRA, FineTuningMethod.Full)]
    public FineTuningMethod Method { get; set; }

    [Params(1)]
    public int Layers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var settings = new RunSettings(BenchmarkModel.BertKey, Layers, BatchSize: 16, SequenceLength: 128, WarmupSteps: 0, TimedSteps: 0);
        var benchmarkModel = settings.Model();
        _model = benchmarkModel.Create();
        var options = settings.Options(Method);
        options.MaxSteps = int.MaxValue;
        _tuner = new FineTuner(_model, options, int.MaxValue);
        _batch = new TrainingBatch(benchmarkModel, settings);
    }

    [Benchmark]
    public float OptimizerStep() => _tuner!.Step(_batch!.Batch, _batch.Labels);

    [GlobalCleanup]
    public void Cleanup()
    {
        _tuner?.Dispose();
        _batch?.Dispose();
        _model?.Dispose();
    }
}
