namespace Microsoft.ML.DeltaLoRA;

/// <summary>
/// The engine the public catalog methods train with. Until the TorchSharp fine-tuning engine is wired in here, training
/// through the catalog reports that clearly instead of failing somewhere deeper.
/// </summary>
internal static class DefaultTextScorerTrainer
{
    public static ITextScorerTrainer Create()
        => throw new InvalidOperationException(
            "No fine-tuning engine is wired into this build of Microsoft.ML.DeltaLoRA (DefaultTextScorerTrainer.Create).");
}
