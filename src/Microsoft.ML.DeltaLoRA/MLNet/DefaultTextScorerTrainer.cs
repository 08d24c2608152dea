using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>The engine the public catalog methods train with: TorchSharp fine-tuning on the MLContext's device.</summary>
internal static class DefaultTextScorerTrainer
{
    public static ITextScorerTrainer Create(IHostEnvironment environment)
    {
        var (gpuDeviceId, fallbackToCpu) = MLNetInternals.DeviceSettings(environment);
        return new FineTuningTextScorerTrainer(gpuDeviceId, fallbackToCpu);
    }
}
