using DeltaLoRA.Bench.Study;

namespace DeltaLoRA.Bench.Reporting;

/// <summary>
/// Whether two methods' runs with the same seed number really drew the same data order and initialization, read from the
/// loss of their first optimizer step. That loss is computed before any update, and LoRA and Delta-LoRA start from the same
/// model (B = 0, so the adapted model is the pretrained one): within one build of the bench it is equal to the last digit for
/// both methods at a seed, whatever the learning rate or λ. A build that draws differently for the same seed number gives a
/// different step-1 loss, and runs paired across such builds are no more paired than runs with different seeds.
/// </summary>
internal static class SharedDraws
{
    /// <summary>Each run's step-1 loss by seed; runs without a loss curve are left out.</summary>
    public static IReadOnlyDictionary<int, double> FirstLossBySeed(IEnumerable<RunRecord> runs, LossLog? losses)
    {
        var bySeed = new Dictionary<int, double>();
        if (losses is null) return bySeed;
        foreach (var run in runs)
            if (losses.For(run.Spec).FirstOrDefault(p => p.Step == 1) is { Step: 1 } first)
                bySeed[run.Spec.Seed] = first.Loss;
        return bySeed;
    }

    /// <summary>True where every seed both sides logged starts from the same loss, false where any differs, null where no seed can be checked.</summary>
    public static bool? Same(IReadOnlyDictionary<int, double> first, IReadOnlyDictionary<int, double> second)
    {
        var common = first.Keys.Where(second.ContainsKey).ToArray();
        if (common.Length == 0) return null;
        return common.All(seed => Math.Abs(first[seed] - second[seed]) <= 1e-6 * Math.Max(1, Math.Abs(first[seed])));
    }

    public const string DifferentNote = "not paired: the same seed starts from a different step-1 loss, so the runs drew differently (different builds)";
}
