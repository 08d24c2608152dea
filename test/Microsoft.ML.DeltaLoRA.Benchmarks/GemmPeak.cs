using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>The fastest fp32 matrix product seen for one square size: the reference limit that MFU divides by.</summary>
internal sealed record GemmMeasurement(int Size, int Repetitions, double BestSeconds, double MedianSeconds, double CpuSeconds)
{
    public double Flops => 2.0 * Size * Size * (double)Size;
    public double BestGflops => Flops / BestSeconds / 1e9;
    public double MedianGflops => Flops / MedianSeconds / 1e9;
    /// <summary>The rate per CPU second over all repetitions, times libtorch's threads: what the threads do while they run.</summary>
    public double CpuGflops => Repetitions * Flops / (CpuSeconds / Utilisation.Threads) / 1e9;
}

/// <summary>
/// Measures the machine's fp32 GEMM rate with libtorch's own <c>torch.mm</c> (the BLAS kernel our linear layers reach; as c.addmm_(a, b, β=0), in place), on square
/// matrices, best of several runs: the highest rate this process can get from the matrix engine, used as the peak in MFU.
/// </summary>
internal static class GemmPeak
{
    public static IReadOnlyList<GemmMeasurement> Measure(IEnumerable<int> sizes, int repetitions)
    {
        var results = new List<GemmMeasurement>();
        using var noGrad = torch.no_grad();
        foreach (int size in sizes)
        {
            using var a = torch.randn(size, size);
            using var b = torch.randn(size, size);
            using var c = torch.empty(size, size);
            c.addmm_(a, b, beta: 0, alpha: 1); // warm-up: first-touch of c, kernel selection, thread pool start
            var times = new double[repetitions];
            var cpuBefore = Utilisation.ProcessorTime();
            for (int i = 0; i < repetitions; i++)
            {
                var stopwatch = Stopwatch.StartNew();
                c.addmm_(a, b, beta: 0, alpha: 1); // c = a·b in place: no allocation in the timed region
                times[i] = stopwatch.Elapsed.TotalSeconds;
            }
            double cpuSeconds = (Utilisation.ProcessorTime() - cpuBefore).TotalSeconds;
            Array.Sort(times);
            results.Add(new GemmMeasurement(size, repetitions, times[0], times[repetitions / 2], cpuSeconds));
        }
        return results;
    }

    /// <summary>
    /// A short probe (2048², best of 3, about 0.1–0.5 s) taken beside each measured round, so that a round's work can be compared
    /// with what the matrix engine delivered under the same load; returns GFLOP/s.
    /// </summary>
    public static double Probe() => Measure([2048], repetitions: 3)[0].BestGflops;

    /// <summary>The best rate over all sizes.</summary>
    public static GemmMeasurement Best(IReadOnlyList<GemmMeasurement> measurements) => measurements.MaxBy(m => m.BestGflops)!;

    /// <summary>
    /// The best rate per CPU second (× threads) among sizes of at least 2048, whose repetitions take long enough (≥ 0.3 s in all)
    /// for the kernel's 10 ms CPU-time ticks: the reference for MFU by CPU time, which other processes' load does not lower.
    /// </summary>
    public static double BestCpuGflops(IEnumerable<GemmMeasurement> measurements) => measurements.Where(m => m.Size >= 2048).Max(m => m.CpuGflops);
}
