using DeltaLoRA.Bench.Glue;

namespace DeltaLoRA.Bench.Study;

/// <summary>
/// The rows one task is studied on. <see cref="Train"/> and <see cref="Validation"/> are disjoint parts of one seeded subsample of
/// the official training split (validation chooses the learning rate); <see cref="Dev"/> is the official dev split, used only
/// to report results.
/// </summary>
internal sealed record TaskData(GlueTask Task, IReadOnlyList<GlueExample> Train, IReadOnlyList<GlueExample> Validation, IReadOnlyList<GlueExample> Dev,
    int OfficialTrainRows, int OfficialDevRows)
{
    /// <summary>
    /// Shuffles the training split with <paramref name="seed"/>, keeps the first <paramref name="subsampleSize"/> rows (all when
    /// fewer), and carves <paramref name="validationFraction"/> of them (at least one row) as the validation split.
    /// <paramref name="devSize"/>, when set, keeps a seeded subsample of dev (quick configurations only).
    /// </summary>
    public static TaskData Prepare(GlueTask task, string glueRoot, int subsampleSize, double validationFraction, int? devSize, int seed)
    {
        if (subsampleSize < 2) throw new ArgumentOutOfRangeException(nameof(subsampleSize), subsampleSize, "The training subsample needs at least 2 rows (train and validation).");
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be in (0, 1).");
        if (devSize is < 1) throw new ArgumentOutOfRangeException(nameof(devSize), devSize, "The dev size must be at least 1 when given.");

        var train = GlueLoader.Load(glueRoot, task, GlueSplit.Train);
        var dev = GlueLoader.Load(glueRoot, task, GlueSplit.Dev);
        var subsample = SeededShuffle(train, seed).Take(subsampleSize).ToArray();
        int validationRows = Math.Clamp((int)Math.Round(subsample.Length * validationFraction), 1, subsample.Length - 1);
        var devRows = devSize is int n && n < dev.Count ? SeededShuffle(dev, seed).Take(n).ToArray() : dev.ToArray();
        return new TaskData(task, subsample[validationRows..], subsample[..validationRows], devRows, train.Count, dev.Count);
    }

    /// <summary>Fisher–Yates with System.Random(seed): the same seed gives the same order on every machine and .NET version.</summary>
    public static T[] SeededShuffle<T>(IReadOnlyList<T> rows, int seed)
    {
        var shuffled = rows.ToArray();
        var random = new Random(seed);
        for (int i = shuffled.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (shuffled[i], shuffled[j]) = (shuffled[j], shuffled[i]);
        }
        return shuffled;
    }
}
