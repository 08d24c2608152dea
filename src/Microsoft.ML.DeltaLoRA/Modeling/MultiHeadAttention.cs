using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>The attention arithmetic shared by the BERT-style and DistilBERT encoders.</summary>
internal static class MultiHeadAttention
{
    /// <summary>
    /// softmax(Q·Kᵀ/√d + mask)·V per head, through libtorch's fused <c>scaled_dot_product_attention</c>.
    /// Takes ownership of the projections <paramref name="query"/>, <paramref name="key"/> and <paramref name="value"/>
    /// ([batch, sequence, hidden]) and returns the context, [batch, sequence, hidden].
    /// </summary>
    public static Tensor Attend(Tensor query, Tensor key, Tensor value, int heads, int headSize, Tensor? additiveMask, double dropout)
    {
        using var scope = torch.NewDisposeScope();
        using var ownedQuery = query;
        using var ownedKey = key;
        using var ownedValue = value;
        var (batch, length) = (query.shape[0], query.shape[1]);
        Tensor SplitHeads(Tensor projection) => projection.view(batch, length, heads, headSize).transpose(1, 2);
        var context = torch.nn.functional.scaled_dot_product_attention(
            SplitHeads(query), SplitHeads(key), SplitHeads(value), additiveMask, dropout);
        return context.transpose(1, 2).reshape(batch, length, heads * headSize).MoveToOuterDisposeScope();
    }
}
