using DeltaLoRA.Bench.Glue;

namespace DeltaLoRA.Bench.Study;

/// <summary>
/// The affine map applied to regression targets before training: (y − mean) / sd of the training rows, or the identity.
/// Standardizing lets a head on a unit-norm sentence vector (USE-Lite) fit the 0–5 STS-B scale without spending its step
/// budget on the offset; Pearson and Spearman are unchanged by a positive affine map of the predictions, so scores compare as is.
/// </summary>
internal sealed record TargetScaling(double Mean, double Sd)
{
    public static TargetScaling Identity { get; } = new(0, 1);

    public static TargetScaling Standardize(IReadOnlyList<GlueExample> train)
    {
        if (train.Count < 2) throw new ArgumentOutOfRangeException(nameof(train), train.Count, "Standardizing targets needs at least 2 training rows.");
        double mean = train.Average(e => (double)e.Target);
        double sd = Math.Sqrt(train.Sum(e => (e.Target - mean) * (e.Target - mean)) / (train.Count - 1));
        if (!(sd > 0)) throw new InvalidOperationException($"Every training target is {mean}; a constant target cannot be standardized.");
        return new TargetScaling(mean, sd);
    }

    public float Apply(float target) => (float)((target - Mean) / Sd);
}
