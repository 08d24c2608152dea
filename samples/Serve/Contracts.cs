// The service's JSON, in ASP.NET Core's web casing (camelCase): {"text": "...", "text2": "..."} in, {"label": ..., ...} out.

/// <summary>POST /predict: one text, and a second one for models of text pairs.</summary>
internal sealed record PredictRequest(string? Text, string? Text2);

/// <summary>POST /predict/batch: many texts; <c>texts2</c>, as long as <c>texts</c>, for models of text pairs.</summary>
internal sealed record BatchRequest(string?[]? Texts, string?[]? Texts2);

/// <summary>One input row, checked against the model that scores it.</summary>
internal sealed record TextInput(string Text, string? Text2);

/// <summary>
/// A classifier's answer (the predicted label, its probability and every class's) or a regressor's (the score). The unused
/// members are null and left out of the JSON.
/// </summary>
internal sealed record Prediction(string? Label, float? Probability, IReadOnlyDictionary<string, float>? Probabilities, float? Score);

internal sealed record BatchResponse(IReadOnlyList<Prediction> Predictions);

internal sealed record ErrorResponse(string Error);
