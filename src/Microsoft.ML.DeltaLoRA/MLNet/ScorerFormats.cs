using System.Collections.Concurrent;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// The scorer formats a model zip can hold, by the fixed tag recorded in it (format 0x00010002 on), so that renaming or moving
/// a .NET type breaks no saved model. Files of format 0x00010001 recorded a loader type name instead; the names they can hold
/// are mapped to their tags here. Nothing is ever instantiated by a name read from a file.
/// </summary>
internal static class ScorerFormats
{
    /// <summary>A fine-tuned <c>TextClassificationModel</c> (<see cref="FineTunedTextScorer"/>).</summary>
    public const string FineTunedModel = "deltalora/fine-tuned-text-model";

    private static readonly ConcurrentDictionary<string, ITextScorerLoader> Loaders = new(StringComparer.Ordinal)
    {
        [FineTunedModel] = new FineTunedTextScorerLoader(),
    };

    private static readonly Dictionary<string, string> TagsOfVersion1LoaderNames = new(StringComparer.Ordinal)
    {
        ["Microsoft.ML.DeltaLoRA.FineTunedTextScorerLoader, Microsoft.ML.DeltaLoRA"] = FineTunedModel,
    };

    /// <summary>Adds a scorer format (a test double's, for example); registering a tag again with the same loader type is allowed.</summary>
    public static void Register(string tag, ITextScorerLoader loader)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        ArgumentNullException.ThrowIfNull(loader);
        if (!Loaders.TryAdd(tag, loader) && Loaders[tag].GetType() != loader.GetType())
            throw new InvalidOperationException($"The scorer format '{tag}' is already registered with another loader.");
    }

    /// <summary>The loader of a registered format; <see cref="InvalidDataException"/> naming the tag otherwise.</summary>
    public static ITextScorerLoader Resolve(string tag)
        => Loaders.TryGetValue(tag, out var loader)
            ? loader
            : throw new InvalidDataException(
                $"The model's scorer format '{tag}' is unknown to this version of Microsoft.ML.DeltaLoRA; known formats: {string.Join(", ", Loaders.Keys.Order())}.");

    /// <summary>The tag of a scorer whose loader a format 0x00010001 file named by type.</summary>
    public static string TagOfVersion1LoaderName(string loaderTypeName)
        => TagsOfVersion1LoaderNames.TryGetValue(loaderTypeName, out var tag)
            ? tag
            : throw new InvalidDataException($"The model names '{loaderTypeName}' as its scorer loader, which is not a scorer format of Microsoft.ML.DeltaLoRA.");
}
