using System.Text.Json;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>An engine's JSON settings blob in its saved payload, read with the errors a damaged model zip should give.</summary>
internal static class ScorerSettingsJson
{
    /// <summary>
    /// The blob <paramref name="name"/> of <paramref name="payload"/> as a <typeparamref name="T"/>; <see cref="InvalidDataException"/>
    /// naming it when it is missing, not valid JSON, or null.
    /// </summary>
    public static T Read<T>(IReadOnlyDictionary<string, byte[]> payload, string name) where T : class
    {
        if (!payload.TryGetValue(name, out var bytes))
            throw new InvalidDataException($"The model has no '{name}'.");
        try
        {
            return JsonSerializer.Deserialize<T>(bytes) ?? throw new InvalidDataException($"'{name}' in the model is empty (null).");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{name}' in the model is not valid JSON: {e.Message}", e);
        }
    }
}
