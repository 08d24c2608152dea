using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>
/// One padded batch of token ids, as every encoder takes it: int64 tensors of shape [batch, sequence] on the model's device.
/// <see cref="AttentionMask"/> is 1 for real tokens and 0 for padding; <see cref="TokenTypeIds"/> is null for families without them.
/// </summary>
internal sealed class EncoderBatch(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null) : IDisposable
{
    public Tensor InputIds { get; } = inputIds;
    public Tensor AttentionMask { get; } = attentionMask;
    public Tensor? TokenTypeIds { get; } = tokenTypeIds;

    public long BatchSize => InputIds.shape[0];
    public long SequenceLength => InputIds.shape[1];

    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        TokenTypeIds?.Dispose();
    }
}
