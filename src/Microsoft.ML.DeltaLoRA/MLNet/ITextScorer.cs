namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// The seam between the ML.NET layer and a fine-tuned model: raw outputs of the task head for batches of texts, and the
/// model's saved form. The ML.NET layer turns the outputs into columns (softmax and arg-max for classification) and never
/// looks inside the model.
/// </summary>
internal interface ITextScorer : IDisposable
{
    /// <summary>Outputs per row: the number of classes (logits) for classification, 1 for regression.</summary>
    int OutputCount { get; }

    /// <summary>
    /// Scores <c>firstTexts.Count</c> rows into <paramref name="outputs"/>, row-major (<c>rows × OutputCount</c>), at most
    /// <paramref name="batchSize"/> rows per forward pass (a model scorer groups rows of similar length, <c>Modeling.LengthGroups</c>).
    /// <paramref name="secondTexts"/> is null for single-text models and has one entry per row for text-pair models.
    /// Missing text arrives as an empty string. A row's outputs must not depend on the other rows
    /// (beyond floating-point rounding of padded batches). Calls come from one thread at a time.
    /// </summary>
    void Score(IReadOnlyList<string> firstTexts, IReadOnlyList<string>? secondTexts, int batchSize, Span<float> outputs);

    /// <summary>The scorer format recorded in the model zip (<see cref="ScorerFormats"/>), whose loader rebuilds this scorer from <see cref="SavePayload"/>.</summary>
    string FormatTag { get; }

    /// <summary>
    /// Everything needed to rebuild the scorer, as named byte blobs (for example <c>config.json</c>, tokenizer files,
    /// <c>weights.safetensors</c>). Names use letters, digits, '.', '_' and '-' only.
    /// </summary>
    IReadOnlyDictionary<string, byte[]> SavePayload();
}
