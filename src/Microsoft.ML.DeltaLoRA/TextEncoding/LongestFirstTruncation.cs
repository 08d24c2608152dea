namespace Microsoft.ML.DeltaLoRA.TextEncoding;

/// <summary>
/// How many content tokens of each segment survive truncation, following Hugging Face's <c>truncation=True</c>
/// (<c>longest_first</c>) as its fast (Rust) tokenizers compute it, the tokenizers <c>AutoTokenizer</c> returns by default.
/// </summary>
internal static class LongestFirstTruncation
{
    /// <summary>Kept lengths of a single segment: its first <paramref name="budget"/> tokens.</summary>
    public static int Single(int length, int budget) => Math.Min(length, budget);

    /// <summary>
    /// Kept lengths of a pair within <paramref name="budget"/> content tokens. When only the longer segment must shrink it gets
    /// what the shorter leaves; when both must shrink, the shorter keeps budget/2 and the longer budget/2 + budget%2
    /// (on a tie the second segment counts as the longer one, as in the Rust implementation).
    /// </summary>
    public static (int First, int Second) Pair(int firstLength, int secondLength, int budget)
    {
        if (firstLength + secondLength <= budget) return (firstLength, secondLength);
        bool firstIsLonger = firstLength > secondLength;
        int shorter = firstIsLonger ? secondLength : firstLength;
        int shorterKept, longerKept;
        if (shorter <= budget - shorter)
        {
            shorterKept = shorter;
            longerKept = budget - shorter;
        }
        else
        {
            shorterKept = budget / 2;
            longerKept = shorterKept + budget % 2;
        }
        return firstIsLonger ? (longerKept, shorterKept) : (shorterKept, longerKept);
    }
}
