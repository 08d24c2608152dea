using Microsoft.ML.DeltaLoRA.TextEncoding;

namespace Microsoft.ML.DeltaLoRA.Tests.TextEncoding;

/// <summary>
/// Hugging Face's BERT text clean-up, character by character, following its documented rules: whitespace (tab and newlines too)
/// becomes a space, NUL, U+FFFD and control/format characters vanish, CJK ideographs get spaces around them, accents are
/// stripped by NFD without recomposition, then lowercasing. Runs without ../shared.
/// </summary>
public class BertTextNormalizerTests
{
    [Theory]
    [InlineData("a\tb\nc\r\nd\u00A0e", "a b c  d e")]        // every whitespace character becomes one space
    [InlineData("1\u00002\uFFFD3\u0007", "123")]              // NUL, replacement character and controls vanish
    [InlineData("x\u200Dy\u00ADz", "xyz")]                    // format characters (zero-width joiner, soft hyphen) vanish
    [InlineData("ah\u535A\u63A8zz", "ah \u535A  \u63A8 zz")]  // CJK ideographs are isolated
    [InlineData("\uD55C", "\u1112\u1161\u11AB")]               // Hangul is not CJK here and stays decomposed into jamo after NFD
    [InlineData("H\u00E9LLo \u00C5", "hello a")]              // accents stripped, then lowercased
    public void UncasedNormalization(string input, string expected)
    {
        Assert.Equal(expected, new BertTextNormalizer(lowerCase: true, stripAccents: true, isolateChineseCharacters: true).Normalize(input));
    }

    [Fact]
    public void CasedNormalizationKeepsCaseAndAccents()
    {
        var normalizer = new BertTextNormalizer(lowerCase: false, stripAccents: false, isolateChineseCharacters: false);

        Assert.Equal("H\u00E9llo \u535A\u63A8 World", normalizer.Normalize("H\u00E9llo\t\u535A\u63A8\nWorld"));
    }
}
