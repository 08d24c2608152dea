using DeltaLoRA.Bench.Metrics;

namespace DeltaLoRA.Bench.Study;

/// <summary>
/// One finished run as runs.csv keeps it: the task score on the validation split (what learning-rate selection looks at),
/// every GLUE metric on dev, the warmup it had, and its cost in seconds (training, and scoring validation plus dev).
/// <see cref="Dev"/> is null for learning-rate selection runs: they are never scored on dev.
/// </summary>
internal sealed record RunRecord(RunSpec Spec, double ValidationScore, TaskScores? Dev, int WarmupSteps, double TrainSeconds, double EvalSeconds)
{
    /// <summary>The dev scores of a final or sensitivity run.</summary>
    public TaskScores DevScores => Dev ?? throw new InvalidOperationException($"The {Spec.Phase} run [{Spec.Label}] was not scored on dev.");
}

/// <summary>
/// A run just made: its record, its training-loss curve (empty for the frozen baseline) and, for runs with early stopping, the
/// trainer's validation metric after each epoch (empty otherwise).
/// </summary>
internal sealed record RunResult(RunRecord Record, IReadOnlyList<LossPoint> Losses, IReadOnlyList<double>? ValidationByEpoch = null);

/// <summary>The mean training loss of one optimizer step.</summary>
internal readonly record struct LossPoint(int Step, double Loss);
