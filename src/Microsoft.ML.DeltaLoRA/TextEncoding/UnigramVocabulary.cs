using System.Text;
using System.Text.Json;

namespace Microsoft.ML.DeltaLoRA.TextEncoding;

/// <summary>
/// A SentencePiece-unigram vocabulary as Universal Sentence Encoder Lite ships it (<c>vocab.json</c>: an array of
/// <c>[piece, score]</c> pairs; a piece's id is its index), with a code-point trie for common-prefix search.
/// The first <see cref="ReservedCount"/> entries (<c>�</c>, <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>, three extra ids) are
/// never produced by segmentation; id 0 (<c>�</c>) stands for unknown characters.
/// </summary>
internal sealed class UnigramVocabulary
{
    /// <summary>Leading entries that segmentation skips, as the reference tokenizer does.</summary>
    public const int ReservedCount = 6;

    /// <summary>The id emitted for a character that starts no piece.</summary>
    public const int UnknownId = 0;

    private readonly TrieNode root = new();

    public UnigramVocabulary(IReadOnlyList<(string Piece, double Score)> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count <= ReservedCount)
            throw new ArgumentOutOfRangeException(nameof(entries), entries.Count, $"A vocabulary needs more than the {ReservedCount} reserved entries.");
        Pieces = entries.Select(e => e.Piece).ToArray();
        Scores = entries.Select(e => e.Score).ToArray();
        for (int id = ReservedCount; id < Pieces.Count; id++) Insert(Pieces[id], id);
    }

    public IReadOnlyList<string> Pieces { get; }

    public IReadOnlyList<double> Scores { get; }

    public int Count => Pieces.Count;

    /// <summary>
    /// Reads <c>vocab.json</c>. A null score counts as 0: the file has seven such entries (pieces with ':'), and the
    /// reference tokenizer, in JavaScript, adds null as 0.
    /// </summary>
    public static UnigramVocabulary Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Vocabulary file not found: {path}", path);
        var entries = new List<(string, double)>();
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{path}: expected a JSON array of [piece, score] pairs, found {document.RootElement.ValueKind}.");
            int index = 0;
            foreach (var entry in document.RootElement.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Array || entry.GetArrayLength() != 2 || entry[0].ValueKind != JsonValueKind.String
                    || entry[1].ValueKind is not (JsonValueKind.Number or JsonValueKind.Null))
                    throw new InvalidDataException($"{path}: entry {index} is {Truncate(entry.GetRawText())}; expected [piece, score].");
                entries.Add((entry[0].GetString()!, entry[1].ValueKind == JsonValueKind.Null ? 0.0 : entry[1].GetDouble()));
                index++;
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {e.Message}", e);
        }
        return new UnigramVocabulary(entries);
    }

    /// <summary>
    /// Every piece that starts at <paramref name="start"/> in <paramref name="symbols"/> (code points), shortest first,
    /// as (id, length in code points).
    /// </summary>
    internal void CommonPrefixSearch(ReadOnlySpan<int> symbols, int start, List<(int Id, int Length)> matches)
    {
        matches.Clear();
        var node = root;
        for (int i = start; i < symbols.Length; i++)
        {
            if (!node.Children.TryGetValue(symbols[i], out node)) return;
            if (node.Id >= 0) matches.Add((node.Id, i - start + 1));
        }
    }

    internal static int[] ToCodePoints(string text)
    {
        var symbols = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes()) symbols.Add(rune.Value);
        return symbols.ToArray();
    }

    private void Insert(string piece, int id)
    {
        var node = root;
        foreach (int symbol in ToCodePoints(piece))
        {
            if (!node.Children.TryGetValue(symbol, out var child)) node.Children[symbol] = child = new TrieNode();
            node = child;
        }
        // A piece listed twice keeps its last id and score, as the reference trie does ('”5' appears three times).
        node.Id = id;
    }

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..60] + "…";

    private sealed class TrieNode
    {
        public Dictionary<int, TrieNode> Children { get; } = new();
        public int Id { get; set; } = -1;
    }
}
