using TorchSharp;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>What the report states about the machine: CPU, threads, settings that change BLAS speed, and the load.</summary>
internal static class MachineState
{
    private static readonly string[] ThreadVariables = ["OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME"];

    public static string CpuModel()
    {
        var line = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
        return line is null ? "unknown CPU" : line[(line.IndexOf(':') + 1)..].Trim();
    }

    /// <summary>The 1, 5 and 15 minute load averages and running/total tasks (/proc/loadavg).</summary>
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unavailable";

    public static string Threads()
        => $"torch intra-op threads {torch.get_num_threads()}, inter-op threads {torch.get_num_interop_threads()}; "
           + string.Join(", ", ThreadVariables.Select(v => $"{v}={Environment.GetEnvironmentVariable(v) ?? "unset"}"));
}
