using System.Diagnostics;
using TorchSharp;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>
/// Model-FLOPs utilisation two ways, because the machine is shared. <see cref="Wall"/> is the definition (useful FLOPs / wall
/// time / peak): other processes' load only lengthens wall time, so it is a lower bound of the idle machine's figure.
/// <see cref="CpuTime"/> replaces wall time by this process's CPU time spread over libtorch's threads, and the peak by the GEMM's
/// own rate per CPU second: neither is inflated by time slices given to other processes. It is an optimistic estimate: it assumes
/// every op kept every thread busy (an idle machine's wall time is at least CPU time / threads), and it can even pass 100 % where
/// ops run on one thread at a higher clock than the two-thread GEMM. The idle machine's MFU lies between the two.
/// </summary>
internal static class Utilisation
{
    public static int Threads => torch.get_num_threads();

    public static double Wall(double usefulFlops, double wallSeconds, double peakFlopsPerSecond) => usefulFlops / wallSeconds / peakFlopsPerSecond;

    public static double CpuTime(double usefulFlops, double cpuSeconds, double cpuPeakFlopsPerSecond)
        => usefulFlops / (cpuSeconds / Threads) / cpuPeakFlopsPerSecond;

    /// <summary>User + system time of all this process's threads so far.</summary>
    public static TimeSpan ProcessorTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
