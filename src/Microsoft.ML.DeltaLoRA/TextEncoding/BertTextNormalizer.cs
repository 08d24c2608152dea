using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.DeltaLoRA.TextEncoding;

/// <summary>
/// The text clean-up of Hugging Face's BERT tokenizers (the <c>BertNormalizer</c> of <c>tokenizers</c>): drops NUL, U+FFFD and
/// control/format/unassigned/private-use characters, turns every whitespace character (tab and newlines included) into a space,
/// surrounds CJK ideographs with spaces, then optionally strips accents (NFD, non-spacing marks removed, not recomposed) and lowercases.
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers' own BERT normalizer deletes tabs and newlines instead of turning them into spaces (so
/// <c>"This\nis"</c> becomes one word, which the transformers.js vectors catch), keeps format characters such as the zero-width
/// joiner, and recomposes to NFC after stripping accents where Hugging Face leaves the text decomposed (scripts such as Hangul
/// decompose into letters, not marks). Hence this replacement, which plugs into its <see cref="BertTokenizer"/>.
/// </remarks>
internal sealed class BertTextNormalizer(bool lowerCase, bool stripAccents, bool isolateChineseCharacters) : Normalizer
{
    public override string Normalize(string original) => Normalize(original.AsSpan());

    public override string Normalize(ReadOnlySpan<char> original)
    {
        var cleaned = new StringBuilder(original.Length + 8);
        foreach (Rune rune in original.EnumerateRunes())
        {
            if (IsRemoved(rune)) continue;
            if (Rune.IsWhiteSpace(rune)) cleaned.Append(' ');
            else if (isolateChineseCharacters && IsChineseCharacter(rune.Value)) cleaned.Append(' ').Append(rune).Append(' ');
            else cleaned.Append(rune);
        }
        string text = cleaned.ToString();
        if (stripAccents) text = RemoveNonSpacingMarks(text.Normalize(NormalizationForm.FormD));
        return lowerCase ? text.ToLowerInvariant() : text;
    }

    private static bool IsRemoved(Rune rune)
    {
        if (rune.Value is 0 or 0xFFFD) return true;
        if (rune.Value is '\t' or '\n' or '\r') return false;
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate;
    }

    private static string RemoveNonSpacingMarks(string decomposed)
    {
        var kept = new StringBuilder(decomposed.Length);
        foreach (Rune rune in decomposed.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark) kept.Append(rune);
        }
        return kept.ToString();
    }

    /// <summary>The CJK Unified Ideograph blocks BERT isolates (not Hangul, Hiragana or Katakana, which are written with spaces).</summary>
    private static bool IsChineseCharacter(int codePoint) =>
        codePoint is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);
}
