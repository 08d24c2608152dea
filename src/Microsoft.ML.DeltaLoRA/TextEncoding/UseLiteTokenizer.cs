using System.Text;

namespace Microsoft.ML.DeltaLoRA.TextEncoding;

/// <summary>
/// The tokenizer of Universal Sentence Encoder Lite: NFKC, '▁' before the text and in place of every U+0020 space,
/// then a Viterbi segmentation over the unigram <see cref="UnigramVocabulary"/>, as the reference TF.js tokenizer
/// (@energetic-ai/embeddings 0.2.0, from tfjs-models) does it. Case is kept; ids are vocabulary indices (no offset).
/// <para>
/// Why not Microsoft.ML.Tokenizers' SentencePiece model: the pretrained encoder was used with this exact segmentation,
/// and the reference differs from SentencePiece's own unigram Viterbi in ways that change ids. A character that starts
/// no piece becomes id 0 with score 0 (better than any real piece, where SentencePiece scores unknowns below every piece);
/// a best score of exactly 0 counts as "nothing yet" so the next candidate replaces it; ties go to the later candidate;
/// only U+0020 becomes '▁' (tabs and newlines stay, runs of spaces are not collapsed); runs of unknowns merge into one id 0;
/// null scores count as 0. Building a SentencePiece model from pieces and scores would reproduce none of these.
/// </para>
/// <para>
/// Pairs: USE has no pair encoding, so a pair is encoded as text, then the vocabulary's own piece "▁|" (a pretrained
/// embedding, unlike the reserved &lt;/s&gt;, which the model never saw), then the pair; longest-first truncation.
/// Sequences are at most <see cref="MaxSequenceLength"/> tokens, the length past which the graph drops tokens.
/// </para>
/// </summary>
internal sealed class UseLiteTokenizer : SequenceTokenizer
{
    /// <summary>The graph keeps the first 128 positions of every sequence (its ClipToMaxLength step).</summary>
    public const int MaxSequenceLength = 128;

    public const string PairSeparatorPiece = "▁|";

    private const char WordBoundary = '▁';

    public UseLiteTokenizer(UnigramVocabulary vocabulary)
    {
        Vocabulary = vocabulary ?? throw new ArgumentNullException(nameof(vocabulary));
        PieceLengths = vocabulary.Pieces.Select(p => UnigramVocabulary.ToCodePoints(p).Length).ToArray();
        PieceLengths[UnigramVocabulary.UnknownId] = 1;
        int separator = -1;
        for (int id = UnigramVocabulary.ReservedCount; id < vocabulary.Count; id++)
            if (vocabulary.Pieces[id] == PairSeparatorPiece) separator = id;
        PairSeparatorId = separator;
    }

    public static UseLiteTokenizer FromVocabularyFile(string vocabJsonPath) => new(UnigramVocabulary.Load(vocabJsonPath));

    public UnigramVocabulary Vocabulary { get; }

    /// <summary>Id of "▁|", placed between the two texts of a pair; -1 when the vocabulary lacks it (pairs then throw).</summary>
    public int PairSeparatorId { get; }

    /// <summary>Padding is masked out everywhere in the encoder; 0 is simply a valid id to fill with.</summary>
    public override int PadTokenId => 0;

    public override bool UsesTokenTypeIds => false;

    private int[] PieceLengths { get; }

    /// <summary>The text as the segmentation sees it: NFKC, '▁' + text with every U+0020 replaced by '▁' (empty stays empty).</summary>
    public static string Normalize(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        // .NET refuses to normalize lone surrogates; JavaScript keeps them, and either way they segment as one unknown.
        string normalized = ReplaceLoneSurrogates(text).Normalize(NormalizationForm.FormKC);
        return normalized.Length == 0 ? "" : WordBoundary + normalized.Replace(' ', WordBoundary);
    }

    public override IReadOnlyList<int> EncodeWithoutSpecialTokens(string? text)
    {
        int[] symbols = UnigramVocabulary.ToCodePoints(Normalize(text));
        int n = symbols.Length;
        if (n == 0) return [];

        // Candidates ending at each position, in increasing start order (the order the reference visits them).
        var endingAt = new List<(int Start, int Id, double Score)>[n + 1];
        var matches = new List<(int Id, int Length)>();
        for (int start = 0; start < n; start++)
        {
            Vocabulary.CommonPrefixSearch(symbols, start, matches);
            if (matches.Count == 0) matches.Add((UnigramVocabulary.UnknownId, 1));
            foreach (var (id, length) in matches)
            {
                double score = id == UnigramVocabulary.UnknownId ? 0.0 : Vocabulary.Scores[id];
                (endingAt[start + length] ??= []).Add((start, id, score));
            }
        }

        var best = new double[n + 1];
        var bestId = new int[n + 1];
        for (int end = 1; end <= n; end++)
        {
            if (endingAt[end] is not { } candidates) continue;
            foreach (var (start, id, score) in candidates)
            {
                double total = score + best[start];
                if (best[end] == 0 || total >= best[end])
                {
                    best[end] = total;
                    bestId[end] = id;
                }
            }
        }

        var reversed = new List<int>();
        for (int position = n; position > 0; position -= PieceLengths[bestId[position]])
            reversed.Add(bestId[position]);
        var ids = new List<int>(reversed.Count);
        for (int i = reversed.Count - 1; i >= 0; i--)
        {
            bool repeatsUnknown = reversed[i] == UnigramVocabulary.UnknownId && ids.Count > 0 && ids[^1] == UnigramVocabulary.UnknownId;
            if (!repeatsUnknown) ids.Add(reversed[i]);
        }
        return ids;
    }

    public override EncodedSequence Encode(string? text, string? pair, int maxLength)
    {
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "maxLength must be at least 1.");
        int limit = Math.Min(maxLength, MaxSequenceLength);
        var first = EncodeWithoutSpecialTokens(text).ToList();
        int[] ids;
        if (pair is null)
        {
            ids = first.Take(limit).ToArray();
        }
        else
        {
            if (PairSeparatorId < 0)
                throw new InvalidOperationException($"The vocabulary has no '{PairSeparatorPiece}' piece, which separates the texts of a pair.");
            var second = EncodeWithoutSpecialTokens(pair).ToList();
            int budget = limit - 1;
            while (first.Count + second.Count > budget)
            {
                var longer = first.Count > second.Count ? first : second;
                longer.RemoveAt(longer.Count - 1);
            }
            ids = [.. first, PairSeparatorId, .. second];
        }
        return new EncodedSequence(ids, new int[ids.Length]);
    }

    private static string ReplaceLoneSurrogates(string text)
    {
        StringBuilder? builder = null;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            bool paired = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            if (paired)
            {
                builder?.Append(c).Append(text[i + 1]);
                i++;
                continue;
            }
            if (char.IsSurrogate(c))
            {
                builder ??= new StringBuilder(text, 0, i, text.Length);
                builder.Append('\uFFFD');
                continue;
            }
            builder?.Append(c);
        }
        return builder?.ToString() ?? text;
    }
}
