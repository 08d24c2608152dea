// The rows ML.NET reads and writes for the service; LoadedModel maps their members onto the model's own column names.

/// <summary>An input row: the label is always empty (a missing label) and only there because a classifier's chain maps it to keys first.</summary>
internal sealed class ModelInput
{
    public string Label { get; set; } = "";
    public string Text { get; set; } = "";
    public string Text2 { get; set; } = "";
}

/// <summary>A classifier's output: the probability of each class and the predicted label (the chain maps its key back to the label).</summary>
internal sealed class ClassifierOutput
{
    public float[] Score { get; set; } = [];
    public string PredictedLabel { get; set; } = "";
}

internal sealed class RegressorOutput
{
    public float Score { get; set; }
}
