using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.DeltaLoRA.TextEncoding;

/// <summary>
/// RoBERTa tokenization: GPT-2 byte-level BPE from <c>vocab.json</c> + <c>merges.txt</c> by Microsoft.ML.Tokenizers'
/// <see cref="BpeTokenizer"/> (byte-level, GPT-2 split pattern of <see cref="RobertaPreTokenizer"/>), and
/// <c>&lt;s&gt; a &lt;/s&gt;&lt;/s&gt; b &lt;/s&gt;</c> around the segments. No token type ids.
/// </summary>
/// <remarks>
/// <see cref="CodeGenTokenizer"/> was not used: it maps runs of spaces to CodeGen's extra whitespace tokens, which GPT-2 and RoBERTa
/// vocabularies do not have; the BPE tokenizer reproduces every GPT-2 reference vector.
/// </remarks>
internal sealed class ByteLevelBpeSequenceTokenizer : SequenceTokenizer
{
    private readonly SequenceTemplate _template;
    private readonly bool _addPrefixSpace;

    private ByteLevelBpeSequenceTokenizer(BpeTokenizer tokenizer, bool addPrefixSpace, int classificationId, int separatorId, int paddingId)
    {
        Tokenizer = tokenizer;
        _addPrefixSpace = addPrefixSpace;
        _template = SequenceTemplate.Roberta(classificationId, separatorId);
        PadTokenId = paddingId;
    }

    /// <summary>The underlying Microsoft.ML.Tokenizers tokenizer (for decoding or inspecting the vocabulary).</summary>
    public BpeTokenizer Tokenizer { get; }

    public override int PadTokenId { get; }

    public override bool UsesTokenTypeIds => false;

    /// <summary><c>add_prefix_space</c>: a text not starting with a space gets one, so its first word encodes as any later word does.</summary>
    public bool AddsPrefixSpace => _addPrefixSpace;

    /// <exception cref="FileNotFoundException">A vocabulary file does not exist.</exception>
    /// <exception cref="InvalidDataException">A file cannot be read as a BPE vocabulary, or a special token is not in it.</exception>
    public static ByteLevelBpeSequenceTokenizer Create(string vocabPath, string mergesPath, ByteLevelBpeSettings? settings = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabPath);
        ArgumentException.ThrowIfNullOrEmpty(mergesPath);
        settings ??= new ByteLevelBpeSettings();
        foreach (var path in new[] { vocabPath, mergesPath })
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"BPE vocabulary file '{path}' does not exist.", path);
        }

        var vocabulary = ReadVocabulary(vocabPath);
        var specialTokens = new Dictionary<string, int>(StringComparer.Ordinal);
        string?[] names = [settings.ClassificationToken, settings.SeparatorToken, settings.PaddingToken, settings.UnknownToken, settings.MaskToken];
        foreach (var token in names)
        {
            if (token is null) continue;
            if (!vocabulary.TryGetValue(token, out int id))
            {
                throw new InvalidDataException($"Special token '{token}' is not in the BPE vocabulary '{vocabPath}' ({vocabulary.Count} entries).");
            }
            specialTokens[token] = id;
        }

        var tokenizer = LoadBpe(vocabPath, mergesPath, specialTokens, settings.UnknownToken);
        return new ByteLevelBpeSequenceTokenizer(tokenizer, settings.AddPrefixSpace,
            specialTokens[settings.ClassificationToken], specialTokens[settings.SeparatorToken], specialTokens[settings.PaddingToken]);
    }

    public override IReadOnlyList<int> EncodeWithoutSpecialTokens(string? text)
    {
        if (string.IsNullOrEmpty(text)) return [];
        if (_addPrefixSpace && text[0] != ' ') text = " " + text;
        return Tokenizer.EncodeToIds(text);
    }

    public override EncodedSequence Encode(string? text, string? pair, int maxLength) =>
        _template.Build(EncodeWithoutSpecialTokens(text), pair is null ? null : EncodeWithoutSpecialTokens(pair), maxLength);

    private static Dictionary<string, int> ReadVocabulary(string vocabPath)
    {
        try
        {
            using var stream = File.OpenRead(vocabPath);
            return System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, int>>(stream)
                ?? throw new InvalidDataException($"BPE vocabulary '{vocabPath}' holds JSON null instead of a token-to-id object.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"BPE vocabulary '{vocabPath}' is not a JSON object of token-to-id pairs: {e.Message}", e);
        }
    }

    private static BpeTokenizer LoadBpe(string vocabPath, string mergesPath, Dictionary<string, int> specialTokens, string unknownToken)
    {
        try
        {
            // Special tokens written in the text stay whole, as in Hugging Face; the rest follows GPT-2's split pattern.
            return BpeTokenizer.Create(new BpeOptions(vocabPath, mergesPath)
            {
                ByteLevel = true,
                PreTokenizer = new CompositePreTokenizer([RobertaPreTokenizer.Instance], specialTokens),
                SpecialTokens = specialTokens,
                UnknownToken = unknownToken,
            });
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"Cannot read the byte-level BPE vocabulary '{vocabPath}' with merges '{mergesPath}': {e.Message}", e);
        }
    }
}
