using Microsoft.ML.DeltaLoRA.Modeling.Bert;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling;

public class RobertaPositionIdsTests
{
    /// <summary>
    /// RoBERTa numbers real tokens pad+1, pad+2, ... counting only non-padding tokens, and gives padding position pad
    /// (transformers' create_position_ids_from_input_ids), wherever the padding sits.
    /// </summary>
    [Fact]
    public void CountsNonPaddingTokensFromPadPlusOne()
    {
        const long pad = 1;
        using var ids = torch.tensor(new long[,] { { 0, 5, 6, 2, 1, 1 }, { 1, 1, 0, 7, 2, 1 } });
        using var positions = BertEmbeddings.RobertaPositionIds(ids, pad);
        long[] expected = [2, 3, 4, 5, 1, 1, 1, 1, 2, 3, 4, 1];
        Assert.Equal(expected, positions.data<long>().ToArray());
    }
}
