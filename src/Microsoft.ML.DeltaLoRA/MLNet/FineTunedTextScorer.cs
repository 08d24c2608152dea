using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Modeling;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// A fine-tuned <see cref="TextClassificationModel"/> behind the ML.NET layer's seam: raw head outputs for batches of
/// texts, and the files that rebuild it (the model's files plus the inference settings).
/// </summary>
internal sealed class FineTunedTextScorer(TextClassificationModel model, int maxSequenceLength) : ITextScorer
{
    public const string SettingsFileName = "scorer.json";

    public TextClassificationModel Model { get; } = model;

    public int MaxSequenceLength { get; } = maxSequenceLength;

    public int OutputCount => Model.NumLabels;

    public string FormatTag => ScorerFormats.FineTunedModel;

    public void Score(IReadOnlyList<string> firstTexts, IReadOnlyList<string>? secondTexts, int batchSize, Span<float> outputs)
        => Model.PredictRaw(firstTexts, secondTexts, MaxSequenceLength, batchSize).CopyTo(outputs);

    public IReadOnlyDictionary<string, byte[]> SavePayload()
    {
        var files = new Dictionary<string, byte[]>(Model.ToFiles())
        {
            [SettingsFileName] = JsonSerializer.SerializeToUtf8Bytes(new ScorerSettings(MaxSequenceLength)),
        };
        return files;
    }

    public void Dispose() => Model.Dispose();

    internal sealed record ScorerSettings(int MaxSequenceLength);
}
