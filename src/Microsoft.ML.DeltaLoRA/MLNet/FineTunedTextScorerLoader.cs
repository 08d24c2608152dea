using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Modeling;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>Rebuilds a <see cref="FineTunedTextScorer"/> from its saved files, on the CPU.</summary>
internal sealed class FineTunedTextScorerLoader : ITextScorerLoader
{
    public ITextScorer Load(IReadOnlyDictionary<string, byte[]> payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (!payload.TryGetValue(FineTunedTextScorer.SettingsFileName, out var settingsBytes))
            throw new InvalidDataException($"The model has no '{FineTunedTextScorer.SettingsFileName}'.");
        FineTunedTextScorer.ScorerSettings? settings;
        try
        {
            settings = JsonSerializer.Deserialize<FineTunedTextScorer.ScorerSettings>(settingsBytes);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{FineTunedTextScorer.SettingsFileName}' in the model is not valid JSON: {e.Message}", e);
        }
        if (settings is null || settings.MaxSequenceLength < 1)
            throw new InvalidDataException($"'{FineTunedTextScorer.SettingsFileName}' in the model has no valid MaxSequenceLength.");
        var model = TextClassificationModel.FromFiles(payload, "the model zip");
        return new FineTunedTextScorer(model, settings.MaxSequenceLength);
    }
}
