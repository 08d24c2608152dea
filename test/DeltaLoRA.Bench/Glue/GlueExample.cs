namespace DeltaLoRA.Bench.Glue;

/// <summary>
/// One row of a GLUE file: the text (and the second text of pair tasks), and the label as the file writes it.
/// <see cref="Target"/> is the similarity score of regression tasks (NaN for classification).
/// </summary>
internal sealed record GlueExample(string Text1, string? Text2, string Label, float Target);
