using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Training;

/// <summary>Chooses where training and inference run, from ML.NET's <c>MLContext.GpuDeviceId</c> and <c>FallbackToCpu</c>.</summary>
internal static class DeviceSelection
{
    /// <param name="gpuDeviceId">The CUDA device to use, or null for the CPU.</param>
    /// <param name="fallbackToCpu">Use the CPU when the GPU cannot be used, instead of failing.</param>
    /// <param name="log">Told when the CPU is used in place of the requested GPU.</param>
    public static Device Resolve(int? gpuDeviceId, bool fallbackToCpu, Action<string>? log = null)
    {
        if (gpuDeviceId is not int id) return CPU;
        string? problem = null;
        if (id < 0) problem = $"MLContext.GpuDeviceId is {id}; device ids start at 0";
        else if (!torch.cuda.is_available()) problem = $"MLContext.GpuDeviceId is {id} but CUDA is not available to TorchSharp (no GPU, or built with TorchBackend=cpu; build with -p:TorchBackend=cuda)";
        else if (id >= torch.cuda.device_count()) problem = $"MLContext.GpuDeviceId is {id} but only {torch.cuda.device_count()} CUDA device(s) exist";
        if (problem is null) return new Device(DeviceType.CUDA, id);
        if (!fallbackToCpu) throw new InvalidOperationException(problem + "; set MLContext.FallbackToCpu = true to train on the CPU instead.");
        log?.Invoke(problem + "; training on the CPU (MLContext.FallbackToCpu).");
        return CPU;
    }
}
