namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// Training rows as the ML.NET layer hands them to the engine: texts (missing text as ""), and per row either a class
/// index in [0, <see cref="OutputCount"/>) or a regression target. Rows whose label was missing are already left out.
/// </summary>
internal sealed class TextTrainingSet
{
    private TextTrainingSet(PredictionTask task, int outputCount, string[] firstTexts, string[]? secondTexts, int[]? classIndices, float[]? targets)
    {
        Task = task;
        OutputCount = outputCount;
        FirstTexts = firstTexts;
        SecondTexts = secondTexts;
        ClassIndices = classIndices;
        Targets = targets;
    }

    public PredictionTask Task { get; }

    /// <summary>Number of classes (from the label's key type, not from the labels seen), or 1 for regression.</summary>
    public int OutputCount { get; }

    public int Count => FirstTexts.Count;

    public IReadOnlyList<string> FirstTexts { get; }

    /// <summary>Null for single-text tasks.</summary>
    public IReadOnlyList<string>? SecondTexts { get; }

    /// <summary>Zero-based class of each row (classification), otherwise null.</summary>
    public IReadOnlyList<int>? ClassIndices { get; }

    /// <summary>Target of each row (regression), otherwise null.</summary>
    public IReadOnlyList<float>? Targets { get; }

    public static TextTrainingSet ForClassification(int classCount, string[] firstTexts, string[]? secondTexts, int[] classIndices)
    {
        CheckRows(firstTexts, secondTexts, classIndices.Length);
        if (classCount < 2) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "Classification needs at least 2 classes.");
        foreach (var index in classIndices)
            if ((uint)index >= (uint)classCount) throw new ArgumentOutOfRangeException(nameof(classIndices), index, $"Class indices must lie in [0, {classCount}).");
        return new TextTrainingSet(PredictionTask.MulticlassClassification, classCount, firstTexts, secondTexts, classIndices, null);
    }

    public static TextTrainingSet ForRegression(string[] firstTexts, string[]? secondTexts, float[] targets)
    {
        CheckRows(firstTexts, secondTexts, targets.Length);
        return new TextTrainingSet(PredictionTask.Regression, 1, firstTexts, secondTexts, null, targets);
    }

    private static void CheckRows(string[] firstTexts, string[]? secondTexts, int labels)
    {
        if (secondTexts is not null && secondTexts.Length != firstTexts.Length)
            throw new ArgumentException($"Expected {firstTexts.Length} second texts, found {secondTexts.Length}.", nameof(secondTexts));
        if (labels != firstTexts.Length)
            throw new ArgumentException($"Expected {firstTexts.Length} labels, found {labels}.");
    }
}
