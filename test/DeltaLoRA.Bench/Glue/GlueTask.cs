namespace DeltaLoRA.Bench.Glue;

/// <summary>How a GLUE task's dev predictions are scored, by GLUE convention.</summary>
internal enum GlueMetricKind
{
    /// <summary>Accuracy (SST-2, RTE).</summary>
    Accuracy,

    /// <summary>Accuracy and F1 of the positive class (MRPC); the task score is their mean.</summary>
    AccuracyAndF1,

    /// <summary>Matthews correlation (CoLA).</summary>
    MatthewsCorrelation,

    /// <summary>Pearson and Spearman correlation (STS-B); the task score is their mean.</summary>
    PearsonAndSpearman,
}

/// <summary>
/// One GLUE task as its TSV files lay it out: which 0-based tab-separated fields hold the text(s) and the label, whether the
/// file has a header line, how many fields every line has, and the label set.
/// </summary>
internal sealed record GlueTask(
    string Name,
    bool HasHeader,
    int FieldCount,
    int Text1Field,
    int? Text2Field,
    int LabelField,
    GlueMetricKind Metric,
    IReadOnlyList<string> Labels,
    string? PositiveLabel)
{
    public bool IsRegression => Metric == GlueMetricKind.PearsonAndSpearman;
    public bool IsPair => Text2Field is not null;

    /// <summary>Similarity scores of STS-B lie in [0, 5].</summary>
    public const float MaxSimilarity = 5f;

    public static readonly GlueTask Sst2 = new("sst2", HasHeader: true, FieldCount: 2, Text1Field: 0, Text2Field: null, LabelField: 1,
        GlueMetricKind.Accuracy, ["0", "1"], PositiveLabel: "1");

    /// <summary>MRPC: Quality, #1 ID, #2 ID, #1 String, #2 String (the header starts with a UTF-8 byte order mark).</summary>
    public static readonly GlueTask Mrpc = new("mrpc", HasHeader: true, FieldCount: 5, Text1Field: 3, Text2Field: 4, LabelField: 0,
        GlueMetricKind.AccuracyAndF1, ["0", "1"], PositiveLabel: "1");

    /// <summary>CoLA has no header: source, label, original label mark, sentence.</summary>
    public static readonly GlueTask Cola = new("cola", HasHeader: false, FieldCount: 4, Text1Field: 3, Text2Field: null, LabelField: 1,
        GlueMetricKind.MatthewsCorrelation, ["0", "1"], PositiveLabel: "1");

    public static readonly GlueTask Rte = new("rte", HasHeader: true, FieldCount: 4, Text1Field: 1, Text2Field: 2, LabelField: 3,
        GlueMetricKind.Accuracy, ["entailment", "not_entailment"], PositiveLabel: null);

    /// <summary>STS-B: ten GLUE columns, sentence1 and sentence2 at 7 and 8, the similarity score last.</summary>
    public static readonly GlueTask Stsb = new("stsb", HasHeader: true, FieldCount: 10, Text1Field: 7, Text2Field: 8, LabelField: 9,
        GlueMetricKind.PearsonAndSpearman, [], PositiveLabel: null);

    public static IReadOnlyList<GlueTask> All { get; } = [Sst2, Mrpc, Cola, Rte, Stsb];

    /// <summary>The task called <paramref name="name"/> (case-insensitive; "sst-2" and "sts-b" are accepted too).</summary>
    public static GlueTask Parse(string name)
    {
        var key = name.Trim().Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        return All.FirstOrDefault(t => t.Name == key)
            ?? throw new ArgumentOutOfRangeException(nameof(name), name, $"Unknown GLUE task '{name}'; expected one of {string.Join(", ", All.Select(t => t.Name))}.");
    }

    public override string ToString() => Name;
}
