namespace Microsoft.ML.DeltaLoRA.Training;

/// <summary>What a <see cref="FineTuner.Train"/> run did.</summary>
/// <param name="Steps">Optimizer steps completed.</param>
/// <param name="Epochs">Epochs started (the last one may be partial when the step count ends it).</param>
/// <param name="StepLosses">Mean loss of every optimizer step, in order.</param>
/// <param name="Elapsed">Wall-clock time of the run.</param>
internal sealed record TrainingSummary(int Steps, int Epochs, IReadOnlyList<double> StepLosses, TimeSpan Elapsed);
