namespace DeltaLoRA.Bench.Metrics;

/// <summary>The 2×2 confusion counts of a binary task, one label being the positive class and every other label negative.</summary>
internal readonly record struct BinaryConfusion(long TruePositives, long FalsePositives, long FalseNegatives, long TrueNegatives)
{
    public static BinaryConfusion Count(IReadOnlyList<string> gold, IReadOnlyList<string> predicted, string positive)
    {
        ClassificationMetrics.CheckPaired(gold, predicted);
        long tp = 0, fp = 0, fn = 0, tn = 0;
        for (int i = 0; i < gold.Count; i++)
        {
            bool isPositive = gold[i] == positive, saidPositive = predicted[i] == positive;
            if (isPositive && saidPositive) tp++;
            else if (saidPositive) fp++;
            else if (isPositive) fn++;
            else tn++;
        }
        return new BinaryConfusion(tp, fp, fn, tn);
    }
}
