using System.Globalization;
using DeltaLoRA.Bench.Metrics;

namespace DeltaLoRA.Bench.Study;

/// <summary>
/// One finished calibration run: the run (<see cref="RunSpec"/>, whose Steps is the most steps it could take, MaxEpochs × steps per
/// epoch), its early-stopping settings, the trainer's validation metric after every epoch it ran, the task score of the kept
/// (best-epoch) weights on validation and on dev, and its cost: wall seconds of training and scoring, and the CPU seconds the
/// process spent on the run (both, on a shared machine, upper bounds of what it needs alone).
/// </summary>
/// <param name="ValidationMetric">What the trainer scores validation by and stops on: accuracy (classification) or mse (regression).</param>
internal sealed record CalibrationRecord(RunSpec Spec, CalibrationSetup Setup, string ValidationMetric, IReadOnlyList<double> ValidationByEpoch,
    double ValidationScore, TaskScores Dev, int WarmupSteps, double TrainSeconds, double EvalSeconds, double CpuSeconds, string Commit, DateTime FinishedUtc)
{
    public const string Accuracy = "accuracy";
    public const string MeanSquaredError = "mse";

    public int EpochsRun => ValidationByEpoch.Count;

    /// <summary>The 1-based epoch whose weights were kept: the first best validation metric, as the trainer's early stopping keeps it.</summary>
    public int BestEpoch => BestEpochOf(ValidationByEpoch, higherIsBetter: ValidationMetric == Accuracy);

    /// <summary>The first epoch with the best value (higher or lower); 0 for an empty series.</summary>
    public static int BestEpochOf(IReadOnlyList<double> byEpoch, bool higherIsBetter)
    {
        int best = 0;
        for (int i = 1; i < byEpoch.Count; i++)
            if (higherIsBetter ? byEpoch[i] > byEpoch[best] : byEpoch[i] < byEpoch[best]) best = i;
        return byEpoch.Count == 0 ? 0 : best + 1;
    }

    /// <summary>What identifies the run in calibration.csv: the run's spec and every setting that changes what it trains.</summary>
    public static string KeyOf(RunSpec spec, CalibrationSetup setup) => spec.Key + "|" + setup.Key;

    public string Key => KeyOf(Spec, Setup);
}

/// <summary>The settings of a calibration run that its <see cref="RunSpec"/> does not hold.</summary>
internal sealed record CalibrationSetup(int MaxEpochs, int Patience, int Rank, double Alpha, int BatchSize, int MaxSequenceLength)
{
    public string Key => string.Join('|', Int(MaxEpochs), Int(Patience), Int(Rank), RunSpec.Format(Alpha), Int(BatchSize), Int(MaxSequenceLength));

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
