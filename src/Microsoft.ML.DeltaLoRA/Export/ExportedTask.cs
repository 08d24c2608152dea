namespace Microsoft.ML.DeltaLoRA.Export;

/// <summary>
/// What an exported model predicts and how it reads its input, which the network alone does not know: the class names by
/// output index (null for regression), whether rows are text pairs, and the token limit the model was trained and scored with.
/// </summary>
internal sealed record ExportedTask
{
    public ExportedTask(IReadOnlyList<string>? classNames, bool readsTextPairs, int maxSequenceLength)
    {
        if (maxSequenceLength < 1) throw new ArgumentOutOfRangeException(nameof(maxSequenceLength), maxSequenceLength, "The token limit must be positive.");
        if (classNames is not null)
        {
            if (classNames.Count < 2) throw new ArgumentException($"A classifier has at least 2 classes; found {classNames.Count}.", nameof(classNames));
            var repeated = classNames.GroupBy(name => name, StringComparer.Ordinal).FirstOrDefault(group => group.Count() > 1);
            if (repeated is not null)
                throw new ArgumentException($"The class name '{repeated.Key}' appears twice; Hugging Face's label2id needs each class named once.", nameof(classNames));
        }
        ClassNames = classNames;
        ReadsTextPairs = readsTextPairs;
        MaxSequenceLength = maxSequenceLength;
    }

    /// <summary>The classes by output index (ML.NET's label key values, in key order); null for regression.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    public bool ReadsTextPairs { get; }

    public int MaxSequenceLength { get; }

    public bool IsRegression => ClassNames is null;

    public int OutputCount => ClassNames?.Count ?? 1;

    /// <summary>Hugging Face's <c>id2label</c>: the class names, or transformers' default <c>LABEL_0</c> for the regression output.</summary>
    public IReadOnlyDictionary<int, string> Id2Label
        => (ClassNames ?? ["LABEL_0"]).Select((name, id) => (name, id)).ToDictionary(pair => pair.id, pair => pair.name);

    /// <summary>transformers' <c>problem_type</c>, which picks the loss its <c>ForSequenceClassification</c> models train with.</summary>
    public string ProblemType => IsRegression ? "regression" : "single_label_classification";
}
