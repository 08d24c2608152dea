using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using static Microsoft.ML.DeltaLoRA.Tests.TextEncoding.FixtureVocabulary;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Tests.TextEncoding;

/// <summary>
/// Pairs, token types, truncation, empty input and special tokens on the fixture tokenizers. Expected ids are written as token
/// names (looked up in the fixture vocabulary files) following Hugging Face's rules: BERT <c>[CLS] a [SEP] b [SEP]</c> with
/// types 0 up to the first [SEP] and 1 after; RoBERTa <c>&lt;s&gt; a &lt;/s&gt;&lt;/s&gt; b &lt;/s&gt;</c>; special tokens count
/// toward the maximum length; pairs truncate longest-first (see <see cref="LongestFirstTruncationTests"/>).
/// </summary>
public class SequenceEncodingTests
{
    private static SequenceTokenizer Bert() => PretrainedTokenizers.Load(HfFolder("bert"), ModelFamily.Bert);
    private static SequenceTokenizer DistilBert() => PretrainedTokenizers.Load(HfFolder("distilbert"), ModelFamily.DistilBert);
    private static SequenceTokenizer Roberta() => PretrainedTokenizers.Load(HfFolder("roberta"), ModelFamily.Roberta);

    [SharedFact]
    public void BertPairHasSegmentTypes()
    {
        var encoded = Bert().Encode("Hello world", "the lazy dog", maxLength: 64);

        Assert.Equal(WordPieceIds("bert", "[CLS]", "hello", "world", "[SEP]", "the", "lazy", "dog", "[SEP]"), encoded.InputIds);
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1], encoded.TokenTypeIds);
    }

    [SharedFact]
    public void DistilBertPairHasTheBertLayoutWithoutTokenTypes()
    {
        var tokenizer = DistilBert();
        var encoded = tokenizer.Encode("Hello world", "the lazy dog", maxLength: 64);

        Assert.False(tokenizer.UsesTokenTypeIds);
        Assert.Equal(WordPieceIds("distilbert", "[CLS]", "hello", "world", "[SEP]", "the", "lazy", "dog", "[SEP]"), encoded.InputIds);
        using var batch = BatchCollator.Collate([encoded], tokenizer);
        Assert.Null(batch.TokenTypeIds);
    }

    [SharedFact]
    public void RobertaPairDoublesTheSeparatorAndHasNoTokenTypes()
    {
        var tokenizer = Roberta();
        var encoded = tokenizer.Encode("Hello world", "The dog", maxLength: 64);

        Assert.False(tokenizer.UsesTokenTypeIds);
        Assert.Equal(BpeIds("<s>", "Hello", "Ġworld", "</s>", "</s>", "The", "Ġdog", "</s>"), encoded.InputIds);
        Assert.All(encoded.TokenTypeIds, type => Assert.Equal(0, type));
    }

    [SharedFact]
    public void SingleTextTruncatesFromTheEndAndKeepsItsSpecialTokens()
    {
        var encoded = Bert().Encode("The quick brown fox jumps", null, maxLength: 5);

        Assert.Equal(WordPieceIds("bert", "[CLS]", "the", "quick", "brown", "[SEP]"), encoded.InputIds);
    }

    [SharedFact]
    public void PairTruncationShrinksOnlyTheLongerSegmentWhenThatIsEnough()
    {
        // 6 + 2 content tokens, budget 8 - 3 = 5: the shorter keeps its 2, the longer keeps 3.
        var encoded = Bert().Encode("The quick brown fox jumps", "hello world", maxLength: 8);

        Assert.Equal(WordPieceIds("bert", "[CLS]", "the", "quick", "brown", "[SEP]", "hello", "world", "[SEP]"), encoded.InputIds);
        Assert.Equal([0, 0, 0, 0, 0, 1, 1, 1], encoded.TokenTypeIds);
    }

    [SharedFact]
    public void PairTruncationShrinksBothWhenNeededAndBreaksTiesTowardTheSecond()
    {
        var tokenizer = Bert();

        // 6 + 4 tokens, budget 5: shorter gets 2, longer gets 3.
        var unequal = tokenizer.Encode("the quick brown fox jumps", "over the lazy dog", maxLength: 8);
        Assert.Equal(WordPieceIds("bert", "[CLS]", "the", "quick", "brown", "[SEP]", "over", "the", "[SEP]"), unequal.InputIds);

        // 4 + 4 tokens, budget 5: the first gets 2, the second 3.
        var tie = tokenizer.Encode("the quick brown fox", "over the lazy dog", maxLength: 8);
        Assert.Equal(WordPieceIds("bert", "[CLS]", "the", "quick", "[SEP]", "over", "the", "lazy", "[SEP]"), tie.InputIds);
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1], tie.TokenTypeIds);
    }

    [SharedFact]
    public void RobertaPairTruncationCountsFourSpecialTokens()
    {
        // 2 + 4 tokens, budget 7 - 4 = 3: shorter (2) > 3 - 2, so it keeps 1 and the longer keeps 2.
        var encoded = Roberta().Encode("Hello world", "The quick brown fox", maxLength: 7);

        Assert.Equal(BpeIds("<s>", "Hello", "</s>", "</s>", "The", "Ġquick", "</s>"), encoded.InputIds);
    }

    [SharedFact]
    public void MaxLengthIsRespectedOnLongInput()
    {
        var text = string.Join(' ', Enumerable.Repeat("the quick brown fox jumps over the lazy dog", 50));
        foreach (var tokenizer in new[] { Bert(), Roberta() })
        {
            Assert.Equal(32, tokenizer.Encode(text, null, maxLength: 32).Length);
            Assert.Equal(32, tokenizer.Encode(text, text, maxLength: 32).Length);
            Assert.Equal(33, tokenizer.Encode(text, text, maxLength: 33).Length);
        }
    }

    [SharedFact]
    public void NullAndEmptyTextsAreValid()
    {
        var bert = Bert();
        Assert.Equal(WordPieceIds("bert", "[CLS]", "[SEP]"), bert.Encode(null, null, 8).InputIds);
        Assert.Equal(WordPieceIds("bert", "[CLS]", "[SEP]"), bert.Encode(" \t\n", null, 8).InputIds);
        Assert.Empty(bert.EncodeWithoutSpecialTokens(null));

        // An empty pair is still a pair: its [SEP] has type 1.
        var emptyPair = bert.Encode("", "", 8);
        Assert.Equal(WordPieceIds("bert", "[CLS]", "[SEP]", "[SEP]"), emptyPair.InputIds);
        Assert.Equal([0, 0, 1], emptyPair.TokenTypeIds);
        var nullFirst = bert.Encode(null, "hello", 8);
        Assert.Equal(WordPieceIds("bert", "[CLS]", "[SEP]", "hello", "[SEP]"), nullFirst.InputIds);
        Assert.Equal([0, 0, 1, 1], nullFirst.TokenTypeIds);

        var roberta = Roberta();
        Assert.Equal(BpeIds("<s>", "</s>"), roberta.Encode(null, null, 8).InputIds);
        Assert.Equal(BpeIds("<s>", "</s>", "</s>", "</s>"), roberta.Encode("", "", 8).InputIds);
        Assert.Equal(BpeIds("<s>", "Ġ", "</s>"), roberta.Encode(" ", null, 8).InputIds);
    }

    [SharedFact]
    public void MaxLengthTooSmallForTheSpecialTokensIsRejected()
    {
        var bert = Bert();
        var roberta = Roberta();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => bert.Encode("hello", null, maxLength: 1));
        Assert.Equal("maxLength", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => bert.Encode("hello", "world", maxLength: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => roberta.Encode("Hello", "world", maxLength: 3));

        // Exactly the special tokens: every content token is cut.
        Assert.Equal(WordPieceIds("bert", "[CLS]", "[SEP]", "[SEP]"), bert.Encode("hello", "world", maxLength: 3).InputIds);
        Assert.Equal(BpeIds("<s>", "</s>", "</s>", "</s>"), roberta.Encode("Hello", "world", maxLength: 4).InputIds);
    }

    [SharedFact]
    public void UnknownWordsBecomeTheUnknownToken()
    {
        // "§" is not in the fixture vocabulary; "zzq" has no WordPiece cover ("##z" is missing), so the whole word is [UNK].
        Assert.Equal(WordPieceIds("bert", "hello", "[UNK]", "[UNK]"), Bert().EncodeWithoutSpecialTokens("hello § zzq"));
    }

    [SharedFact]
    public void SpecialTokensWrittenInTheTextStayWhole()
    {
        Assert.Equal(WordPieceIds("bert", "hello", "[SEP]", "world"), Bert().EncodeWithoutSpecialTokens("hello [SEP] world"));
        Assert.Equal(BpeIds("Hello", "</s>", "<mask>"), Roberta().EncodeWithoutSpecialTokens("Hello</s><mask>"));
    }

    [SharedFact]
    public void TextsAreWordSplitOnWhitespaceOfAnyKindAndOnEveryPunctuationCharacter()
    {
        // Tabs and newlines separate words; "!", "-" and "(" are words of their own.
        Assert.Equal(WordPieceIds("bert", "the", "quick", "brown", "fox", "!", "-", "("),
            Bert().EncodeWithoutSpecialTokens("the\tquick\nbrown\r\nfox!-("));
    }
}
