namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// The one seam between the ML.NET layer and whatever computes a fitted model's outputs: raw head outputs for batches of
/// texts, and the bytes that rebuild the engine from a model zip. The transformer, the row mapper, the scored view and
/// persistence depend on this only; <see cref="TorchSharpScoringEngine"/> implements it with the fine-tuned network and
/// <see cref="OnnxRuntimeScoringEngine"/> with its ONNX export, each under its own format tag (<see cref="TransformerModelFile.EngineFormats"/>).
/// </summary>
internal interface IScoringEngine : IDisposable
{
    /// <summary>Outputs per row: the number of classes (logits) for classification, 1 for regression.</summary>
    int OutputCount { get; }

    /// <summary>
    /// Scores <c>firstTexts.Count</c> rows into <paramref name="outputs"/>, row-major (<c>rows × OutputCount</c>), at most
    /// <paramref name="batchSize"/> rows per forward pass, grouping rows of similar length (<c>Modeling.LengthGroups</c>) so
    /// that batches pad little. <paramref name="secondTexts"/> is null for single-text models and has one entry per row for
    /// text-pair models. Missing text arrives as an empty string. A row's outputs must not depend on the other rows (beyond
    /// floating-point rounding of padded batches). Calls come from one thread at a time.
    /// </summary>
    void Score(IReadOnlyList<string> firstTexts, IReadOnlyList<string>? secondTexts, int batchSize, Span<float> outputs);

    /// <summary>The engine format recorded in the model zip, whose loader rebuilds this engine from <see cref="SavePayload"/>.</summary>
    string FormatTag { get; }

    /// <summary>
    /// Everything needed to rebuild the engine, as named byte blobs (for example <c>config.json</c>, tokenizer files,
    /// <c>model.safetensors</c>). Names use letters, digits, '.', '_' and '-' only.
    /// </summary>
    IReadOnlyDictionary<string, byte[]> SavePayload();
}
