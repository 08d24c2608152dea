namespace Microsoft.ML.DeltaLoRA;

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
    /// Scores <c>firstTexts.Count</c> rows into <paramref name="outputs"/>, row-major (<c>rows × OutputCount</c>).
    /// <paramref name="secondTexts"/> is null for single-text models and has one entry per row for text-pair models.
    /// Missing text arrives as an empty string. A row's outputs must not depend on the other rows of the batch
    /// (beyond floating-point rounding of padded batches). Calls come from one thread at a time.
    /// </summary>
    void Score(IReadOnlyList<string> firstTexts, IReadOnlyList<string>? secondTexts, Span<float> outputs);

    /// <summary>
    /// The length of a row as the model pays for it (a model scorer: its token count). Transform scores rows of similar length
    /// together, so that each forward pass pads little. By default, the characters of both texts.
    /// </summary>
    int LengthOf(string firstText, string? secondText) => firstText.Length + (secondText?.Length ?? 0);

    /// <summary>
    /// The <see cref="ITextScorerLoader"/> type that rebuilds this scorer from <see cref="SavePayload"/>: it needs a
    /// parameterless constructor and must be loadable by name in the process that loads the model.
    /// </summary>
    Type LoaderType { get; }

    /// <summary>
    /// Everything needed to rebuild the scorer, as named byte blobs (for example <c>config.json</c>, tokenizer files,
    /// <c>weights.safetensors</c>). Names use letters, digits, '.', '_' and '-' only.
    /// </summary>
    IReadOnlyDictionary<string, byte[]> SavePayload();
}
