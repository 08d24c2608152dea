using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;

namespace Microsoft.ML.DeltaLoRA.Tests.TextEncoding;

/// <summary>
/// Token-to-id lookups read straight from the fixtures' vocabulary files (the line number of <c>vocab.txt</c>, the value in
/// <c>vocab.json</c>), so that tests can state expected tokens by name without going through the tokenizer under test.
/// </summary>
internal static class FixtureVocabulary
{
    public static string HfFolder(string family) => SharedData.PathOf("fixtures", "hf", family);

    public static int[] WordPieceIds(string family, params string[] tokens)
    {
        var lines = File.ReadAllLines(Path.Combine(HfFolder(family), "vocab.txt"));
        return tokens.Select(token =>
        {
            int id = Array.IndexOf(lines, token);
            return id >= 0 ? id : throw new ArgumentException($"'{token}' is not in the {family} fixture vocabulary.", nameof(tokens));
        }).ToArray();
    }

    public static int[] BpeIds(params string[] tokens)
    {
        var vocabulary = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(Path.Combine(HfFolder("roberta"), "vocab.json")))!;
        return tokens.Select(token => vocabulary.TryGetValue(token, out int id)
            ? id
            : throw new ArgumentException($"'{token}' is not in the roberta fixture vocabulary.", nameof(tokens))).ToArray();
    }
}
