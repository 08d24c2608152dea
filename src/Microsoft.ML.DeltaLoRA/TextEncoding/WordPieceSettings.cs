namespace Microsoft.ML.DeltaLoRA.TextEncoding;

/// <summary>
/// How a BERT-style WordPiece tokenizer treats text, with Hugging Face's <c>BertTokenizer</c> defaults; <see cref="PretrainedTokenizers"/>
/// fills it from <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c>.
/// </summary>
internal sealed record WordPieceSettings
{
    /// <summary><c>do_lower_case</c>.</summary>
    public bool LowerCase { get; init; } = true;

    /// <summary><c>strip_accents</c>; null follows <see cref="LowerCase"/>, as in Hugging Face.</summary>
    public bool? StripAccents { get; init; }

    /// <summary><c>tokenize_chinese_chars</c>: every CJK ideograph is a word of its own.</summary>
    public bool TokenizeChineseChars { get; init; } = true;

    /// <summary>Whether the model takes token type ids (BERT yes, DistilBERT no).</summary>
    public bool UsesTokenTypeIds { get; init; } = true;

    public string UnknownToken { get; init; } = "[UNK]";
    public string ClassificationToken { get; init; } = "[CLS]";
    public string SeparatorToken { get; init; } = "[SEP]";
    public string PaddingToken { get; init; } = "[PAD]";
    public string MaskToken { get; init; } = "[MASK]";
}
