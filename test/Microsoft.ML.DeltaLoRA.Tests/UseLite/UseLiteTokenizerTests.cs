using Microsoft.ML.DeltaLoRA.TextEncoding;

namespace Microsoft.ML.DeltaLoRA.Tests.UseLite;

/// <summary>
/// The unigram segmentation on a small vocabulary whose best segmentations are worked out by hand; agreement with the
/// reference tokenizer on the real vocabulary is checked in <see cref="UseLiteReferenceTests"/>.
/// </summary>
public class UseLiteTokenizerTests
{
    // Ids 0–5 are reserved; then:        6     7      8     9    10    11      12    13    14   15
    private static readonly string[] Pieces = ["▁", "▁ab", "▁a", "b", "c", "▁abc", "bc", "▁|", "a", "▁z"];
    private static readonly double[] Scores = [-1.0, -3.0, -2.0, -2.0, -2.5, -7.0, -1.5, -4.0, -3.0, -2.0];

    private static UseLiteTokenizer Tokenizer()
    {
        var entries = new List<(string, double)> { ("\uFFFD", 0), ("<s>", 0), ("</s>", 0), ("extra_token_id_1", 0), ("extra_token_id_2", 0), ("extra_token_id_3", 0) };
        entries.AddRange(Pieces.Zip(Scores));
        return new UseLiteTokenizer(new UnigramVocabulary(entries));
    }

    [Theory]
    // "▁ab": ▁ab (−3) beats ▁a + b (−4) and ▁ + a + b (−6).
    [InlineData("ab", new[] { 7 })]
    // "▁abc": ▁a + bc (−3.5) beats ▁ab + c (−5.5), ▁a + b + c (−6.5) and ▁abc (−7).
    [InlineData("abc", new[] { 8, 12 })]
    // "▁ab▁c": ▁ab, then ▁ (−1) + c (−2.5); spaces become ▁ and stay one per space.
    [InlineData("ab c", new[] { 7, 6, 10 })]
    [InlineData("ab  c", new[] { 7, 6, 6, 10 })]
    // 'x' and 'y' start no piece: each is an unknown (id 0, score 0), and a run of unknowns merges into one id 0.
    [InlineData("axyb", new[] { 8, 0, 9 })]
    // The reference scores an unknown 0, better than any piece: ▁ + unknown 'z' (−1) beats the piece ▁z (−2).
    // (SentencePiece would choose ▁z; this is why the segmentation is our own and not Microsoft.ML.Tokenizers'.)
    [InlineData("z", new[] { 6, 0 })]
    [InlineData("", new int[0])]
    [InlineData(null, new int[0])]
    public void SegmentsByHighestTotalScore(string? text, int[] expected)
        => Assert.Equal(expected, Tokenizer().EncodeWithoutSpecialTokens(text));

    [Theory]
    [InlineData("a b", "▁a▁b")]
    [InlineData(" x", "▁▁x")]
    [InlineData("", "")]
    [InlineData("ﬁ\u00A0x", "▁fi▁x")]          // NFKC first: the ligature splits, the no-break space becomes U+0020, then ▁
    [InlineData("a\tb\nc", "▁a\tb\nc")]          // only U+0020 becomes ▁
    [InlineData("Ab", "▁Ab")]                     // case is kept
    public void NormalizesLikeTheReference(string text, string expected)
        => Assert.Equal(expected, UseLiteTokenizer.Normalize(text));

    [Fact]
    public void LoneSurrogateSegmentsAsOneUnknownAsInJavaScript()
    {
        Assert.Equal("▁x\uFFFDy", UseLiteTokenizer.Normalize("x\uD800y"));
        Assert.Equal([6, 0], Tokenizer().EncodeWithoutSpecialTokens("\uDC00"));
    }

    [Fact]
    public void PairsJoinWithTheSeparatorPieceAndTruncateLongestFirst()
    {
        var tokenizer = Tokenizer();
        Assert.Equal(13, tokenizer.PairSeparatorId);
        var pair = tokenizer.Encode("ab", "abc", 128);
        Assert.Equal([7, 13, 8, 12], pair.InputIds);
        Assert.Equal([0, 0, 0, 0], pair.TokenTypeIds);
        Assert.False(tokenizer.UsesTokenTypeIds);

        // "ab c c c" is 7 tokens (▁ab ▁ c ▁ c ▁ c), "ab" is 1: with room for 4 (+ separator) the longer side loses its tail.
        var truncated = tokenizer.Encode("ab c c c", "ab", 5);
        Assert.Equal([7, 6, 10, 13, 7], truncated.InputIds);
        var onlySeparator = tokenizer.Encode("ab", "ab", 1);
        Assert.Equal([13], onlySeparator.InputIds);
    }

    [Fact]
    public void SequencesStopAtTheGraphsMaximumLength()
    {
        var tokenizer = Tokenizer();
        string text = string.Join(" ", Enumerable.Repeat("ab", 200));
        Assert.Equal(200, tokenizer.EncodeWithoutSpecialTokens(text).Count);
        Assert.Equal(UseLiteTokenizer.MaxSequenceLength, tokenizer.Encode(text, null, 512).Length);
        Assert.Equal(10, tokenizer.Encode(text, null, 10).Length);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Encode(text, null, 0));
        Assert.Equal("maxLength", error.ParamName);
    }

    [Fact]
    public void VocabularyFileReadsNullScoresAsZeroAndRejectsMalformedEntries()
    {
        string folder = Directory.CreateTempSubdirectory("uselite-vocab-").FullName;
        try
        {
            string path = Path.Combine(folder, "vocab.json");
            File.WriteAllText(path, "[[\"\uFFFD\",0],[\"<s>\",0],[\"</s>\",0],[\"e1\",0],[\"e2\",0],[\"e3\",0],[\"▁\",-1.5],[\":\",null]]");
            var vocabulary = UnigramVocabulary.Load(path);
            Assert.Equal(8, vocabulary.Count);
            Assert.Equal(-1.5, vocabulary.Scores[6]);
            Assert.Equal(0.0, vocabulary.Scores[7]);

            File.WriteAllText(path, "[[\"\uFFFD\",0],[\"<s>\",0],[\"</s>\",0],[\"e1\",0],[\"e2\",0],[\"e3\",0],[\"▁\",\"high\"]]");
            var malformed = Assert.Throws<InvalidDataException>(() => UnigramVocabulary.Load(path));
            Assert.Contains("entry 6", malformed.Message);
            Assert.Contains(path, malformed.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
