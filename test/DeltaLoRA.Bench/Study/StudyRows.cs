using DeltaLoRA.Bench.Glue;

namespace DeltaLoRA.Bench.Study;

/// <summary>A classification row as the study hands it to ML.NET: one or two texts and the label as the file writes it.</summary>
internal sealed class ClassificationRow
{
    public string Sentence1 { get; set; } = "";
    public string Sentence2 { get; set; } = "";
    public string Label { get; set; } = "";

    public static IEnumerable<ClassificationRow> From(IEnumerable<GlueExample> examples)
        => examples.Select(e => new ClassificationRow { Sentence1 = e.Text1, Sentence2 = e.Text2 ?? "", Label = e.Label });
}

/// <summary>A regression row (STS-B): two texts and the similarity score.</summary>
internal sealed class RegressionRow
{
    public string Sentence1 { get; set; } = "";
    public string Sentence2 { get; set; } = "";
    public float Label { get; set; }

    public static IEnumerable<RegressionRow> From(IEnumerable<GlueExample> examples, TargetScaling scaling)
        => examples.Select(e => new RegressionRow { Sentence1 = e.Text1, Sentence2 = e.Text2 ?? "", Label = scaling.Apply(e.Target) });
}

/// <summary>The predicted class, mapped back from its key to the label text.</summary>
internal sealed class ClassPrediction
{
    public string PredictedLabel { get; set; } = "";
}

/// <summary>The predicted value of a regression model.</summary>
internal sealed class ValuePrediction
{
    public float Score { get; set; }
}
