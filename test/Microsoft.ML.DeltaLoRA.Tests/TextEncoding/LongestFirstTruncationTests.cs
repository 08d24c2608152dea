using Microsoft.ML.DeltaLoRA.TextEncoding;

namespace Microsoft.ML.DeltaLoRA.Tests.TextEncoding;

/// <summary>
/// Kept lengths under Hugging Face's longest-first truncation, worked out by hand from the rule of its Rust tokenizers
/// (<c>truncate_encodings</c>): with n1 the shorter and n2 the longer of the two segments and B the budget,
/// nothing changes when n1 + n2 &lt;= B; if n1 &lt;= B - n1 the longer keeps B - n1; otherwise the shorter keeps B/2 and the
/// longer B/2 + B%2; a tie treats the second segment as the longer one.
/// </summary>
public class LongestFirstTruncationTests
{
    [Theory]
    [InlineData(3, 3, 6, 3, 3)]   // fits exactly
    [InlineData(1, 2, 10, 1, 2)]  // fits
    [InlineData(2, 10, 6, 2, 4)]  // only the longer (second) shrinks
    [InlineData(10, 2, 6, 4, 2)]  // only the longer (first) shrinks
    [InlineData(4, 4, 5, 2, 3)]   // tie: the second keeps the odd token
    [InlineData(10, 10, 5, 2, 3)]
    [InlineData(12, 10, 5, 3, 2)] // both shrink: the longer keeps the odd token
    [InlineData(10, 12, 5, 2, 3)]
    [InlineData(3, 4, 5, 2, 3)]   // shorter (3) > B - 3 (2): both shrink
    [InlineData(7, 9, 0, 0, 0)]   // no room at all
    [InlineData(0, 9, 4, 0, 4)]   // empty first segment
    public void PairKeepsTheLengthsOfTheRustRule(int first, int second, int budget, int expectedFirst, int expectedSecond)
    {
        Assert.Equal((expectedFirst, expectedSecond), LongestFirstTruncation.Pair(first, second, budget));
    }

    [Theory]
    [InlineData(5, 10, 5)]
    [InlineData(12, 10, 10)]
    [InlineData(0, 3, 0)]
    public void SingleKeepsItsFirstTokens(int length, int budget, int expected)
    {
        Assert.Equal(expected, LongestFirstTruncation.Single(length, budget));
    }
}
