using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.DeltaLoRA.TextEncoding;

/// <summary>
/// BERT's word splitting (Hugging Face's <c>BertPreTokenizer</c>): whitespace separates words and is dropped, and every
/// punctuation character is a word of its own. Punctuation is all ASCII punctuation (so <c>$ = ^ ` ~</c> too) plus the
/// Unicode P* categories; other symbols such as <c>½ € ～</c> or emoji stay inside words (and usually map to [UNK]).
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers' default BERT pre-tokenizer (<c>\w+|[\p{P}]</c>) silently drops every other character, such as
/// <c>$</c>, <c>=</c>, <c>½</c> and emoji (HF maps them to their own ids or [UNK]), which the reference vectors show; this regex keeps them.
/// </remarks>
internal static class BertPreTokenization
{
    private const string Punctuation = @"!-/:-@\[-`{-~\p{P}";

    /// <summary>A punctuation character, or a run of characters that are neither whitespace nor punctuation.</summary>
    public const string Pattern = $@"[{Punctuation}]|[^\s{Punctuation}]+";

    private static readonly Regex WordsAndPunctuation = new(Pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <summary>A pre-tokenizer that also keeps <paramref name="specialTokens"/> (as they appear after normalization) whole.</summary>
    public static PreTokenizer Create(IReadOnlyDictionary<string, int> specialTokens) => new RegexPreTokenizer(WordsAndPunctuation, specialTokens);
}
