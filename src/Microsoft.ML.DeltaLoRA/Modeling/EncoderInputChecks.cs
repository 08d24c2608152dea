using Microsoft.ML.DeltaLoRA.Checkpoints;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>
/// Checks a batch against an encoder's limits before it reaches an embedding lookup, so that bad ids give a clear error
/// instead of an index failure deep inside libtorch.
/// </summary>
internal static class EncoderInputChecks
{
    public static void Check(EncoderBatch batch, EncoderConfig config)
    {
        var ids = batch.InputIds;
        if (ids.dim() != 2)
            throw new ArgumentOutOfRangeException(nameof(batch), $"input_ids must have shape [batch, sequence]; found [{string.Join(", ", ids.shape)}].");
        if (ids.dtype != ScalarType.Int64)
            throw new ArgumentOutOfRangeException(nameof(batch), $"input_ids must be int64; found {ids.dtype}.");
        if (ids.shape[1] > config.MaxSequenceLength)
            throw new ArgumentOutOfRangeException(nameof(batch),
                $"input_ids has sequence length {ids.shape[1]}, but this {config.ModelType} model accepts at most {config.MaxSequenceLength} tokens (max_position_embeddings {config.MaxPositionEmbeddings}).");
        CheckSameShape(batch.AttentionMask, ids, "attention_mask");
        if (batch.TokenTypeIds is { } types)
        {
            CheckSameShape(types, ids, "token_type_ids");
            if (config.TypeVocabSize == 0)
                throw new ArgumentOutOfRangeException(nameof(batch), $"A {config.ModelType} model takes no token_type_ids.");
            CheckRange(types, config.TypeVocabSize, "token_type_ids");
        }
        CheckRange(ids, config.VocabSize, "input_ids");
    }

    private static void CheckSameShape(Tensor tensor, Tensor ids, string name)
    {
        if (!tensor.shape.SequenceEqual(ids.shape))
            throw new ArgumentOutOfRangeException("batch", $"{name} has shape [{string.Join(", ", tensor.shape)}]; expected the shape of input_ids, [{string.Join(", ", ids.shape)}].");
    }

    private static void CheckRange(Tensor ids, long size, string name)
    {
        if (ids.numel() == 0) return;
        using var min = ids.min();
        using var max = ids.max();
        var (low, high) = (min.item<long>(), max.item<long>());
        if (low < 0 || high >= size)
            throw new ArgumentOutOfRangeException("batch", $"{name} holds ids from {low} to {high}; expected ids in [0, {size}).");
    }
}
