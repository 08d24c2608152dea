using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Modeling.Bert;

/// <summary>
/// Multi-head scaled dot-product attention (<c>attention.self.*</c>): query, key and value projections, softmax over
/// keys with the additive padding mask, dropout on the attention probabilities in training mode only.
/// </summary>
internal sealed class BertSelfAttention : HuggingFaceModule<Tensor, Tensor?, Tensor>
{
    private readonly int heads;
    private readonly int headSize;
    private readonly double attentionDropout;

    public BertSelfAttention(EncoderConfig config) : base(nameof(BertSelfAttention))
    {
        heads = config.NumAttentionHeads;
        headSize = config.HeadSize;
        attentionDropout = config.AttentionDropout;
        Query = Child("query", new LoRALinear(config.HiddenSize, config.HiddenSize));
        Key = Child("key", new LoRALinear(config.HiddenSize, config.HiddenSize));
        Value = Child("value", new LoRALinear(config.HiddenSize, config.HiddenSize));
    }

    public LoRALinear Query { get; }
    public LoRALinear Key { get; }
    public LoRALinear Value { get; }

    /// <param name="hidden">[batch, sequence, hidden]</param>
    /// <param name="additiveMask">[batch, 1, 1, sequence], or null to attend everywhere.</param>
    public override Tensor forward(Tensor hidden, Tensor? additiveMask)
        => MultiHeadAttention.Attend(Query.forward(hidden), Key.forward(hidden), Value.forward(hidden),
            heads, headSize, additiveMask, training ? attentionDropout : 0);
}
