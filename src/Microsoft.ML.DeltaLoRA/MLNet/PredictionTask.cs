namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>What a fine-tuned text model predicts, which fixes its label column type and its output columns.</summary>
internal enum PredictionTask
{
    /// <summary>Label: a key type with K values. Outputs: Score (K probabilities) and PredictedLabel (key).</summary>
    MulticlassClassification = 0,

    /// <summary>Label: Single. Output: Score (Single).</summary>
    Regression = 1,
}
