using System.Text.Json;

namespace Microsoft.ML.DeltaLoRA.TextEncoding;

/// <summary>
/// The settings a Hugging Face tokenizer folder stores in <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c>
/// (both optional). A special token may be written as a string or as an AddedToken object with a <c>content</c> field;
/// <c>special_tokens_map.json</c> wins over <c>tokenizer_config.json</c>, as when Hugging Face loads the folder.
/// </summary>
internal sealed class HuggingFaceTokenizerConfig
{
    public const string ConfigFileName = "tokenizer_config.json";
    public const string SpecialTokensMapFileName = "special_tokens_map.json";

    private readonly Dictionary<string, (JsonElement Value, string File)> _entries = new(StringComparer.Ordinal);

    private HuggingFaceTokenizerConfig() { }

    public static HuggingFaceTokenizerConfig Read(string folder)
    {
        var config = new HuggingFaceTokenizerConfig();
        config.AddFile(Path.Combine(folder, ConfigFileName));
        config.AddFile(Path.Combine(folder, SpecialTokensMapFileName));
        return config;
    }

    /// <summary>A boolean setting; null when absent or JSON null.</summary>
    public bool? GetBoolean(string key)
    {
        if (!_entries.TryGetValue(key, out var entry) || entry.Value.ValueKind == JsonValueKind.Null) return null;
        return entry.Value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new InvalidDataException($"'{key}' in '{entry.File}' must be true, false or null, found {entry.Value.ValueKind}: {entry.Value.GetRawText()}."),
        };
    }

    /// <summary>A special token's text (<c>unk_token</c>, <c>cls_token</c>, ...), or <paramref name="fallback"/> when absent.</summary>
    public string GetToken(string key, string fallback) => GetOptionalToken(key) ?? fallback;

    /// <summary>A special token's text, or null when absent or JSON null.</summary>
    public string? GetOptionalToken(string key)
    {
        if (!_entries.TryGetValue(key, out var entry)) return null;
        var value = entry.Value;
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.String:
                return value.GetString();
            case JsonValueKind.Object when value.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String:
                return content.GetString();
            default:
                throw new InvalidDataException($"'{key}' in '{entry.File}' must be a string or an object with a string 'content', found: {value.GetRawText()}.");
        }
    }

    private void AddFile(string path)
    {
        if (!File.Exists(path)) return;
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { AllowTrailingCommas = true });
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Tokenizer settings file '{path}' is not valid JSON: {e.Message}", e);
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"Tokenizer settings file '{path}' must hold a JSON object, found {root.ValueKind}.");
        }
        foreach (var property in root.EnumerateObject()) _entries[property.Name] = (property.Value, path);
    }
}
