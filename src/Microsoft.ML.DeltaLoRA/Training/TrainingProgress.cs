namespace Microsoft.ML.DeltaLoRA.Training;

/// <summary>Reported after every optimizer step.</summary>
/// <param name="Step">Optimizer steps completed (1-based).</param>
/// <param name="TotalSteps">Optimizer steps of the whole run.</param>
/// <param name="Epoch">The epoch this step belongs to (1-based).</param>
/// <param name="Loss">Mean loss over the examples of this step's accumulation window.</param>
/// <param name="LearningRate">The learning rate this step used.</param>
/// <param name="ExamplesPerSecond">Training throughput since the run started.</param>
public readonly record struct TrainingProgress(int Step, int TotalSteps, int Epoch, double Loss, double LearningRate, double ExamplesPerSecond);
