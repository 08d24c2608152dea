using System.Diagnostics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.GpuCheck;

/// <summary>
/// Wall time of work on a device (CUDA runs asynchronously, so the clock waits for the device before reading), and the peak
/// memory of the CUDA caching allocator through libDeltaLoRAGpuMemStats.so (build/cuda/memstats; TorchSharp has no memory API).
/// </summary>
internal static class DeviceClock
{
    /// <summary>Mean milliseconds of <paramref name="work"/> over <paramref name="repeats"/> runs, the device idle at both ends.</summary>
    public static double MeanMilliseconds(Device device, int repeats, Action work)
    {
        Synchronize(device);
        var stopwatch = Stopwatch.StartNew();
        for (int i = 0; i < repeats; i++) work();
        Synchronize(device);
        return stopwatch.Elapsed.TotalMilliseconds / repeats;
    }

    public static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
    }

    /// <summary>Starts a new peak; false when peak memory cannot be measured (the CPU, or no memory-statistics library).</summary>
    public static bool ResetPeakMemory(Device device)
    {
        if (device.type != DeviceType.CUDA) return false;
        try
        {
            ResetPeak(device.index);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Bytes at the peak since <see cref="ResetPeakMemory"/>, or null when it cannot be measured.</summary>
    public static long? PeakMemoryBytes(Device device)
    {
        if (device.type != DeviceType.CUDA) return null;
        try
        {
            return MaxAllocated(device.index);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [DllImport("DeltaLoRAGpuMemStats", EntryPoint = "deltalora_cuda_max_allocated")]
    private static extern long MaxAllocated(int device);

    [DllImport("DeltaLoRAGpuMemStats", EntryPoint = "deltalora_cuda_reset_peak")]
    private static extern void ResetPeak(int device);
}
