namespace Microsoft.ML.DeltaLoRA.TextEncoding;

/// <summary>
/// Where a family puts its special tokens around one or two segments, and which token type each position gets.
/// BERT and DistilBERT: <c>[CLS] a [SEP] b [SEP]</c> with types 0 for <c>[CLS] a [SEP]</c> and 1 for <c>b [SEP]</c>.
/// RoBERTa: <c>&lt;s&gt; a &lt;/s&gt;&lt;/s&gt; b &lt;/s&gt;</c>, all types 0.
/// </summary>
internal sealed class SequenceTemplate
{
    private readonly int _start;
    private readonly int _separator;
    private readonly bool _doubleSeparatorBetweenSegments;
    private readonly int _secondSegmentTypeId;

    private SequenceTemplate(int start, int separator, bool doubleSeparatorBetweenSegments, int secondSegmentTypeId)
    {
        _start = start;
        _separator = separator;
        _doubleSeparatorBetweenSegments = doubleSeparatorBetweenSegments;
        _secondSegmentTypeId = secondSegmentTypeId;
    }

    public static SequenceTemplate Bert(int classificationId, int separatorId) => new(classificationId, separatorId, false, 1);

    public static SequenceTemplate Roberta(int beginningId, int separatorId) => new(beginningId, separatorId, true, 0);

    public int SpecialTokenCount(bool isPair) => isPair ? (_doubleSeparatorBetweenSegments ? 4 : 3) : 2;

    /// <summary>Truncates the segments longest-first so that the result, special tokens included, has at most <paramref name="maxLength"/> tokens.</summary>
    public EncodedSequence Build(IReadOnlyList<int> first, IReadOnlyList<int>? second, int maxLength)
    {
        int specials = SpecialTokenCount(second is not null);
        if (maxLength < specials)
        {
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength,
                $"maxLength must be at least {specials}, the number of special tokens of a {(second is null ? "single text" : "text pair")}.");
        }
        int budget = maxLength - specials;
        var (firstKept, secondKept) = second is null
            ? (LongestFirstTruncation.Single(first.Count, budget), 0)
            : LongestFirstTruncation.Pair(first.Count, second.Count, budget);

        int length = specials + firstKept + secondKept;
        var ids = new int[length];
        var types = new int[length];
        int position = 0;
        ids[position++] = _start;
        for (int i = 0; i < firstKept; i++) ids[position++] = first[i];
        ids[position++] = _separator;
        if (second is not null)
        {
            int secondStart = position;
            if (_doubleSeparatorBetweenSegments) ids[position++] = _separator;
            for (int i = 0; i < secondKept; i++) ids[position++] = second[i];
            ids[position++] = _separator;
            Array.Fill(types, _secondSegmentTypeId, secondStart, position - secondStart);
        }
        return new EncodedSequence(ids, types);
    }
}
