using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.DeltaLoRA.TextEncoding;

/// <summary>
/// BERT and DistilBERT tokenization: Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/> (WordPiece, special tokens) with
/// Hugging Face's normalization and word splitting (<see cref="BertTextNormalizer"/>, <see cref="BertPreTokenization"/>),
/// and <c>[CLS] a [SEP] b [SEP]</c> around the segments.
/// </summary>
internal sealed class WordPieceSequenceTokenizer : SequenceTokenizer
{
    private readonly SequenceTemplate _template;

    private WordPieceSequenceTokenizer(BertTokenizer tokenizer, bool usesTokenTypeIds)
    {
        Tokenizer = tokenizer;
        UsesTokenTypeIds = usesTokenTypeIds;
        _template = SequenceTemplate.Bert(tokenizer.ClassificationTokenId, tokenizer.SeparatorTokenId);
    }

    /// <summary>The underlying Microsoft.ML.Tokenizers tokenizer (for decoding or inspecting the vocabulary).</summary>
    public BertTokenizer Tokenizer { get; }

    public override int PadTokenId => Tokenizer.PaddingTokenId;

    public override bool UsesTokenTypeIds { get; }

    /// <summary>Reads a WordPiece <c>vocab.txt</c> (one token per line, the line number is the id).</summary>
    /// <exception cref="FileNotFoundException">The vocabulary file does not exist.</exception>
    /// <exception cref="InvalidDataException">A special token of <paramref name="settings"/> is not in the vocabulary.</exception>
    public static WordPieceSequenceTokenizer Create(string vocabPath, WordPieceSettings? settings = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabPath);
        settings ??= new WordPieceSettings();
        if (!File.Exists(vocabPath)) throw new FileNotFoundException($"WordPiece vocabulary '{vocabPath}' does not exist.", vocabPath);

        var specialTokens = ReadSpecialTokenIds(vocabPath, settings);
        var options = new BertOptions
        {
            LowerCaseBeforeTokenization = settings.LowerCase,
            UnknownToken = settings.UnknownToken,
            ClassificationToken = settings.ClassificationToken,
            SeparatorToken = settings.SeparatorToken,
            PaddingToken = settings.PaddingToken,
            MaskingToken = settings.MaskToken,
            Normalizer = new BertTextNormalizer(settings.LowerCase, settings.StripAccents ?? settings.LowerCase, settings.TokenizeChineseChars),
            PreTokenizer = BertPreTokenization.Create(specialTokens),
        };
        return new WordPieceSequenceTokenizer(BertTokenizer.Create(vocabPath, options), settings.UsesTokenTypeIds);
    }

    public override IReadOnlyList<int> EncodeWithoutSpecialTokens(string? text) =>
        string.IsNullOrEmpty(text) ? [] : Tokenizer.EncodeToIds(text, addSpecialTokens: false, considerPreTokenization: true, considerNormalization: true);

    public override EncodedSequence Encode(string? text, string? pair, int maxLength) =>
        _template.Build(EncodeWithoutSpecialTokens(text), pair is null ? null : EncodeWithoutSpecialTokens(pair), maxLength);

    /// <summary>
    /// Ids of the special tokens, keyed as they look after normalization (lowercased for uncased models, as the
    /// BertTokenizer also registers them) so that a special token written in the text stays one token, as in Hugging Face.
    /// </summary>
    private static Dictionary<string, int> ReadSpecialTokenIds(string vocabPath, WordPieceSettings settings)
    {
        string[] wanted = [settings.UnknownToken, settings.ClassificationToken, settings.SeparatorToken, settings.PaddingToken, settings.MaskToken];
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int id = 0;
        foreach (var line in File.ReadLines(vocabPath))
        {
            if (Array.IndexOf(wanted, line) >= 0) ids[line] = id;
            id++;
        }
        var normalized = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var token in wanted)
        {
            if (!ids.TryGetValue(token, out int tokenId))
            {
                throw new InvalidDataException($"Special token '{token}' is not in the WordPiece vocabulary '{vocabPath}' ({id} entries).");
            }
            normalized[settings.LowerCase ? token.ToLowerInvariant() : token] = tokenId;
        }
        return normalized;
    }
}
