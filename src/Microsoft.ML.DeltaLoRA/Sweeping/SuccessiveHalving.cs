namespace Microsoft.ML.DeltaLoRA.Sweeping;

/// <summary>
/// Asynchronous successive halving (ASHA, Li et al. 2018, "A System for Massively Parallel Hyperparameter Tuning", Algorithm 2),
/// run one trial at a time. Rung k trains a configuration for 1/η^(top−k) of its optimizer steps (at least one); the top rung
/// is its full budget. Before drawing a new configuration, the scheduler promotes one from the highest rung whose top 1/η
/// (by validation metric, over every trial that finished there) holds one not yet promoted. A promotion trains afresh at the
/// larger budget: the trainer does not resume, and each trial stays reproducible from its options alone.
/// </summary>
internal sealed class SuccessiveHalving
{
    public SuccessiveHalving(int reductionFactor, int rungCount)
    {
        if (reductionFactor < 2) throw new ArgumentOutOfRangeException(nameof(reductionFactor), reductionFactor, $"The reduction factor η must be at least 2; found {reductionFactor}.");
        if (rungCount < 1) throw new ArgumentOutOfRangeException(nameof(rungCount), rungCount, $"Successive halving needs at least 1 rung (1 is plain quasi-random search); found {rungCount}.");
        ReductionFactor = reductionFactor;
        RungCount = rungCount;
    }

    public int ReductionFactor { get; }
    public int RungCount { get; }
    public int TopRung => RungCount - 1;

    /// <summary>The optimizer steps of a trial at <paramref name="rung"/> for a configuration whose full budget is <paramref name="fullSteps"/>.</summary>
    public int StepsAt(int rung, int fullSteps)
        => rung == TopRung ? fullSteps : Math.Max(1, (int)Math.Ceiling(fullSteps / Math.Pow(ReductionFactor, TopRung - rung)));

    /// <summary>The configuration to train next at a higher rung, or null to draw a new one for rung 0.</summary>
    public (SweepConfiguration Configuration, int Rung)? NextPromotion(IReadOnlyList<SweepTrial> trials, SweepMetric metric)
    {
        for (int rung = TopRung - 1; rung >= 0; rung--)
        {
            var finished = trials.Where(t => t.Rung == rung && t.Status is SweepTrialStatus.Completed or SweepTrialStatus.Failed).ToList();
            var promoted = trials.Where(t => t.Rung == rung + 1).Select(t => t.Configuration.Id).ToHashSet();
            var candidate = Ranked(finished, metric).Take(finished.Count / ReductionFactor).FirstOrDefault(t => !promoted.Contains(t.Configuration.Id));
            if (candidate is not null) return (candidate.Configuration, rung + 1);
        }
        return null;
    }

    /// <summary>The best completed trial of the highest rung with one (the largest budget reached), or null when none completed.</summary>
    public static SweepTrial? Best(IEnumerable<SweepTrial> trials, SweepMetric metric)
    {
        var completed = trials.Where(t => t.Status == SweepTrialStatus.Completed).ToList();
        if (completed.Count == 0) return null;
        int highest = completed.Max(t => t.Rung);
        return Ranked(completed.Where(t => t.Rung == highest), metric).First();
    }

    /// <summary>Completed trials, best metric first (ties: the earlier trial); failed trials are never ranked.</summary>
    private static IEnumerable<SweepTrial> Ranked(IEnumerable<SweepTrial> trials, SweepMetric metric)
        => trials.Where(t => t.Status == SweepTrialStatus.Completed).OrderByDescending(t => metric.Score(t.Metric!.Value)).ThenBy(t => t.Number);
}
