using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>
/// Short in-process runs: libtorch work per invocation is milliseconds to seconds, and on 2 shared cores BenchmarkDotNet's default
/// (a separate generated project, 15+ iterations) takes far too long. In process, libtorch's threads and native libraries are
/// this program's own.
/// </summary>
public sealed class MicroBenchmarkConfig : ManualConfig
{
    public MicroBenchmarkConfig()
    {
        AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(2).WithIterationCount(5).WithLaunchCount(1));
        AddDiagnoser(MemoryDiagnoser.Default);
        WithOptions(ConfigOptions.DisableOptimizationsValidator);
    }
}
