using System.Text.Json.Nodes;

namespace Microsoft.ML.DeltaLoRA.Checkpoints;

/// <summary>
/// The pooling a sentence-transformers model folder declares in <c>1_Pooling/config.json</c>
/// (<c>pooling_mode_cls_token</c>, <c>pooling_mode_mean_tokens</c>), which is how such a model was trained to be read.
/// </summary>
internal static class SentenceTransformersPooling
{
    public const string RelativePath = "1_Pooling/config.json";

    /// <summary>The declared pooling, or null when the folder declares none (or one this library does not have, such as max).</summary>
    public static SentencePooling? Read(string folder)
    {
        var file = Path.Combine(folder, RelativePath);
        if (!File.Exists(file)) return null;
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? throw new InvalidDataException($"'{file}' is not a JSON object.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"'{file}' is not valid JSON: {e.Message}", e);
        }
        bool Mode(string key) => root[key]?.GetValueKind() == System.Text.Json.JsonValueKind.True;
        if (Mode("pooling_mode_cls_token")) return SentencePooling.ClsToken;
        if (Mode("pooling_mode_mean_tokens")) return SentencePooling.MeanOfTokens;
        return null;
    }

    /// <summary>The text of a <c>1_Pooling/config.json</c> declaring <paramref name="pooling"/> for a model of width <paramref name="hiddenSize"/>.</summary>
    public static string ToJson(SentencePooling pooling, int hiddenSize) => new JsonObject
    {
        ["word_embedding_dimension"] = hiddenSize,
        ["pooling_mode_cls_token"] = pooling == SentencePooling.ClsToken,
        ["pooling_mode_mean_tokens"] = pooling == SentencePooling.MeanOfTokens,
        ["pooling_mode_max_tokens"] = false,
        ["pooling_mode_mean_sqrt_len_tokens"] = false,
    }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
}
