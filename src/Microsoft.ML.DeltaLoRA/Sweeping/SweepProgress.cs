namespace Microsoft.ML.DeltaLoRA.Sweeping;

/// <summary>
/// A progress report of a <see cref="DeltaLoRAExperiment"/>: sent when a trial starts (<see cref="Trial"/> Running, no
/// <see cref="Step"/>), after each of its optimizer steps (with <see cref="Step"/>) and when it ends (its final status).
/// </summary>
/// <param name="Trial">The trial the report is about.</param>
/// <param name="Step">The trainer's report of the step just done, or null.</param>
/// <param name="BestTrial">The best completed trial so far, or null.</param>
/// <param name="ElapsedSeconds">Since <see cref="DeltaLoRAExperiment.Run"/> started.</param>
/// <param name="SecondsLeft">Of the time budget, or null without one.</param>
public sealed record SweepProgress(SweepTrial Trial, TrainingProgress? Step, SweepTrial? BestTrial, double ElapsedSeconds, double? SecondsLeft);
