namespace Microsoft.ML.DeltaLoRA.TextEncoding;

/// <summary>
/// Special tokens and prefix-space handling of a RoBERTa-style byte-level BPE tokenizer, with Hugging Face's
/// <c>RobertaTokenizer</c> defaults; <see cref="PretrainedTokenizers"/> fills it from <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c>.
/// </summary>
internal sealed record ByteLevelBpeSettings
{
    /// <summary><c>add_prefix_space</c>: encode a text that does not start with a space as if it did ("Hello" as "ĠHello").</summary>
    public bool AddPrefixSpace { get; init; }

    /// <summary>Token opening a sequence (<c>cls_token</c>, which is also <c>bos_token</c> in RoBERTa).</summary>
    public string ClassificationToken { get; init; } = "<s>";

    /// <summary>Token closing each segment (<c>sep_token</c>, also <c>eos_token</c>); doubled between the segments of a pair.</summary>
    public string SeparatorToken { get; init; } = "</s>";

    public string PaddingToken { get; init; } = "<pad>";
    public string UnknownToken { get; init; } = "<unk>";

    /// <summary><c>mask_token</c>; null when the vocabulary has none.</summary>
    public string? MaskToken { get; init; } = "<mask>";
}
