namespace Microsoft.ML.DeltaLoRA.TextEncoding;

/// <summary>
/// Turns a text, or a pair of texts, into the token ids a model family expects: special tokens, token types,
/// truncation to a maximum length (longest-first for pairs). Padding happens per batch (<c>Modeling.BatchCollator</c>).
/// A null or empty text is valid input. <see cref="PretrainedTokenizers.Load"/> makes one from a Hugging Face folder.
/// </summary>
internal abstract class SequenceTokenizer
{
    /// <summary>The id used to pad a batch to its longest sequence.</summary>
    public abstract int PadTokenId { get; }

    /// <summary>Whether the model takes token type (segment) ids.</summary>
    public abstract bool UsesTokenTypeIds { get; }

    /// <summary>Token ids of <paramref name="text"/> with no special tokens and no truncation.</summary>
    public abstract IReadOnlyList<int> EncodeWithoutSpecialTokens(string? text);

    /// <summary>
    /// Encodes a text or a pair, with special tokens, to at most <paramref name="maxLength"/> tokens (special tokens included).
    /// A null <paramref name="pair"/> means a single text; an empty one is a pair whose second segment is empty, as in Hugging Face.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> cannot hold the special tokens.</exception>
    public abstract EncodedSequence Encode(string? text, string? pair, int maxLength);

    /// <summary>
    /// A row as a network with <paramref name="pairEncoding"/> reads it: one sequence (a text, or a pair for a cross-encoder), or
    /// for a bi-encoder each text of the pair encoded alone (<see cref="EncodedSequence.Second"/>), each truncated to
    /// <paramref name="maxLength"/>. Both scoring engines encode rows with this.
    /// </summary>
    public EncodedSequence EncodeRow(string? text, string? pair, int maxLength, SentencePairEncoding pairEncoding)
        => pair is not null && pairEncoding == SentencePairEncoding.BiEncoder
            ? Encode(text, null, maxLength) with { Second = Encode(pair, null, maxLength) }
            : Encode(text, pair, maxLength);
}
