using Microsoft.ML.DeltaLoRA.TextEncoding;
using static TorchSharp.torch;
using Microsoft.ML.DeltaLoRA.Modeling;

namespace Microsoft.ML.DeltaLoRA.Tests.TextEncoding;

/// <summary>Right padding to the longest sequence, as Hugging Face's <c>padding=True</c>: pad id after the tokens, mask 1 then 0, types padded with 0.</summary>
public class BatchCollatorTests
{
    [Fact]
    public void PadsToTheLongestSequenceWithMaskAndTypes()
    {
        var sequences = new[]
        {
            new EncodedSequence([2, 16, 3], [0, 0, 0]),
            new EncodedSequence([2, 16, 3, 17, 3], [0, 0, 0, 1, 1]),
            new EncodedSequence([2, 3], [0, 0]),
        };

        using var batch = BatchCollator.Collate(sequences, padTokenId: 7, withTokenTypeIds: true);

        Assert.Equal(new long[] { 3, 5 }, batch.InputIds.shape);
        Assert.Equal(ScalarType.Int64, batch.InputIds.dtype);
        Assert.Equal(new long[] { 2, 16, 3, 7, 7, 2, 16, 3, 17, 3, 2, 3, 7, 7, 7 }, batch.InputIds.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }, batch.AttentionMask.data<long>().ToArray());
        Assert.Equal(new long[] { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0 }, batch.TokenTypeIds!.data<long>().ToArray());
    }

    [Fact]
    public void LeavesTokenTypesOutForFamiliesWithoutThem()
    {
        using var batch = BatchCollator.Collate([new EncodedSequence([0, 5, 2], [0, 0, 0]), new EncodedSequence([0, 2], [0, 0])], padTokenId: 1, withTokenTypeIds: false);

        Assert.Null(batch.TokenTypeIds);
        Assert.Equal(new long[] { 0, 5, 2, 0, 2, 1 }, batch.InputIds.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 0 }, batch.AttentionMask.data<long>().ToArray());
    }

    [Fact]
    public void RejectsAnEmptyBatch()
    {
        Assert.Throws<ArgumentException>(() => BatchCollator.Collate([], padTokenId: 0, withTokenTypeIds: false));
    }
}
