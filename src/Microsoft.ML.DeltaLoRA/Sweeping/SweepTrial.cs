namespace Microsoft.ML.DeltaLoRA.Sweeping;

public enum SweepTrialStatus
{
    /// <summary>Training or being evaluated now.</summary>
    Running,

    /// <summary>Trained and evaluated; <see cref="SweepTrial.Metric"/> is its validation metric.</summary>
    Completed,

    /// <summary>Diverged (non-finite loss or validation scores) or could not run (invalid combination); see <see cref="SweepTrial.FailureReason"/>.</summary>
    Failed,

    /// <summary>Stopped because the experiment's time ran out.</summary>
    Canceled,
}

/// <summary>
/// One fit of a <see cref="DeltaLoRAExperiment"/>: a configuration trained at one rung's budget. <see cref="Options"/> are exactly
/// what the trial fitted with (seed included), so that <c>Trainers.DeltaLoRA(trial.Options).Fit(data)</c> gives the same model.
/// </summary>
/// <param name="Number">1-based, in the order the trials ran.</param>
/// <param name="Configuration">The configuration trained.</param>
/// <param name="Rung">0 for the smallest budget; promoted configurations train again at the next rung.</param>
/// <param name="Steps">The optimizer steps of this trial's budget.</param>
/// <param name="Options">The options of the fit.</param>
/// <param name="Status">Running while the experiment reports on it, then how it ended.</param>
/// <param name="Metric">The validation metric when <see cref="Status"/> is Completed; otherwise null.</param>
/// <param name="Seconds">Wall time of the fit and its evaluation.</param>
/// <param name="FailureReason">Why a trial failed or was canceled; otherwise null.</param>
public sealed record SweepTrial(int Number, SweepConfiguration Configuration, int Rung, int Steps, DeltaLoRAOptions Options,
    SweepTrialStatus Status, double? Metric, double Seconds, string? FailureReason = null);
