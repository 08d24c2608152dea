namespace DeltaLoRA.Cli.Training;

/// <summary>One row to predict: the text, the second text of a text-pair model, and the true label when known (for display).</summary>
internal sealed record TextInput(string Text1, string? Text2 = null, string? TrueLabel = null);

/// <summary>
/// A model's answer for one row: the predicted class with its probability and every class's probability (classification),
/// or the predicted value (regression; then <see cref="Probability"/> is NaN and <see cref="ClassProbabilities"/> empty).
/// </summary>
internal sealed record Prediction(TextInput Input, string Predicted, double Probability, IReadOnlyDictionary<string, double> ClassProbabilities);
