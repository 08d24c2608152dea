namespace Microsoft.ML.DeltaLoRA.Architectures;

/// <summary>How a family's text becomes token ids.</summary>
internal enum TokenizerKind
{
    /// <summary>BERT's WordPiece (<c>vocab.txt</c>): <c>[CLS] a [SEP] b [SEP]</c>.</summary>
    WordPiece,

    /// <summary>GPT-2's byte-level BPE as RoBERTa uses it (<c>vocab.json</c>, <c>merges.txt</c>): <c>&lt;s&gt; a &lt;/s&gt;&lt;/s&gt; b &lt;/s&gt;</c>.</summary>
    ByteLevelBpe,

    /// <summary>USE-Lite's SentencePiece unigram vocabulary (<c>vocab.json</c>).</summary>
    Unigram,
}

/// <summary>
/// Everything the library knows about a model family that is not a network layer, in one place: how its config and tokenizer
/// files are named, how its tokens and positions are numbered, which layers get adapters by default and which parameters form
/// its classification head. Adding a family means adding a descriptor here (and its network under Modeling).
/// </summary>
/// <param name="Family">The family.</param>
/// <param name="ConfigModelType">The <c>model_type</c> of its Hugging Face <c>config.json</c>; null when it has none.</param>
/// <param name="Tokenizer">The tokenizer algorithm and special-token template.</param>
/// <param name="TokenizerFiles">The tokenizer files it cannot do without.</param>
/// <param name="UsesTokenTypeIds">Whether the network takes token type (segment) ids.</param>
/// <param name="DefaultPadTokenId">The pad id when its config does not say.</param>
/// <param name="PositionsFollowPadding">RoBERTa numbers positions from pad + 1 and gives padding position pad (a padding row).</param>
/// <param name="DefaultAdapterTargets">Name suffixes of the layers adapted by default: the attention query and value projections.</param>
/// <param name="ClassifierHeadPrefixes">Name prefixes of the classification head's parameters (BERT adds its pooler when the head reads it).</param>
/// <param name="ChoosesPooling">Whether its classifier can read the tokens another way than its own (<see cref="SentencePooling"/>).</param>
/// <param name="ReadsPairsAsBiEncoder">Whether its classifier can read text pairs as a bi-encoder (<see cref="SentencePairEncoding.BiEncoder"/>).</param>
internal sealed record ModelFamilyDescriptor(
    ModelFamily Family,
    string? ConfigModelType,
    TokenizerKind Tokenizer,
    IReadOnlyList<string> TokenizerFiles,
    bool UsesTokenTypeIds,
    int DefaultPadTokenId,
    bool PositionsFollowPadding,
    IReadOnlyList<string> DefaultAdapterTargets,
    IReadOnlyList<string> ClassifierHeadPrefixes,
    bool ChoosesPooling,
    bool ReadsPairsAsBiEncoder);

/// <summary>The descriptors of the families the library can load and fine-tune.</summary>
internal static class ModelFamilies
{
    public static ModelFamilyDescriptor Bert { get; } = new(ModelFamily.Bert, "bert", TokenizerKind.WordPiece, ["vocab.txt"],
        UsesTokenTypeIds: true, DefaultPadTokenId: 0, PositionsFollowPadding: false, ["query", "value"], ["classifier."], ChoosesPooling: true, ReadsPairsAsBiEncoder: true);

    public static ModelFamilyDescriptor Roberta { get; } = new(ModelFamily.Roberta, "roberta", TokenizerKind.ByteLevelBpe, ["vocab.json", "merges.txt"],
        UsesTokenTypeIds: false, DefaultPadTokenId: 1, PositionsFollowPadding: true, ["query", "value"], ["classifier."], ChoosesPooling: false, ReadsPairsAsBiEncoder: false);

    public static ModelFamilyDescriptor DistilBert { get; } = new(ModelFamily.DistilBert, "distilbert", TokenizerKind.WordPiece, ["vocab.txt"],
        UsesTokenTypeIds: false, DefaultPadTokenId: 0, PositionsFollowPadding: false, ["q_lin", "v_lin"], ["pre_classifier.", "classifier."], ChoosesPooling: false, ReadsPairsAsBiEncoder: false);

    public static ModelFamilyDescriptor UseLite { get; } = new(ModelFamily.UseLite, null, TokenizerKind.Unigram, ["vocab.json"],
        UsesTokenTypeIds: false, DefaultPadTokenId: 0, PositionsFollowPadding: false, ["query", "value"], ["classifier."], ChoosesPooling: false, ReadsPairsAsBiEncoder: true);

    public static IReadOnlyList<ModelFamilyDescriptor> All { get; } = [Bert, Roberta, DistilBert, UseLite];

    public static ModelFamilyDescriptor Of(ModelFamily family)
        => All.FirstOrDefault(d => d.Family == family) ?? throw new ArgumentOutOfRangeException(nameof(family), family, "Unknown model family.");

    /// <summary>The family whose Hugging Face configs carry <paramref name="modelType"/>, or null.</summary>
    public static ModelFamilyDescriptor? WithConfigModelType(string modelType) => All.FirstOrDefault(d => d.ConfigModelType == modelType);

    /// <summary>The <c>model_type</c> values the library reads.</summary>
    public static IEnumerable<string> ConfigModelTypes => All.Select(d => d.ConfigModelType).OfType<string>();
}
