using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>
/// One padded batch of token ids, as every encoder takes it: int64 tensors of shape [batch, sequence] on the model's device.
/// <see cref="AttentionMask"/> is 1 for real tokens and 0 for padding; <see cref="TokenTypeIds"/> is null for families without them.
/// A batch of bi-encoder pairs (<see cref="HoldsPairs"/>) holds the first texts of its examples in rows 0…n−1 and their second
/// texts in rows n…2n−1.
/// </summary>
internal sealed class EncoderBatch(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null, bool holdsPairs = false) : IDisposable
{
    public Tensor InputIds { get; } = inputIds;
    public Tensor AttentionMask { get; } = attentionMask;
    public Tensor? TokenTypeIds { get; } = tokenTypeIds;

    /// <summary>Rows of the tensors.</summary>
    public long BatchSize => InputIds.shape[0];

    /// <summary>Whether the rows are bi-encoder pairs split in halves (first texts, then second texts).</summary>
    public bool HoldsPairs { get; } = holdsPairs;

    /// <summary>The examples in the batch: one per row, or one per pair of rows.</summary>
    public long ExampleCount => HoldsPairs ? BatchSize / 2 : BatchSize;

    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        TokenTypeIds?.Dispose();
    }
}
