using Microsoft.ML.DeltaLoRA.TextEncoding;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>Pads a list of sequences to the longest one (dynamic padding) and makes the tensors of an <see cref="EncoderBatch"/>.</summary>
internal static class BatchCollator
{
    /// <summary>Pads <paramref name="sequences"/> with <paramref name="tokenizer"/>'s pad id (token types only when its model takes them).</summary>
    public static EncoderBatch Collate(IReadOnlyList<EncodedSequence> sequences, SequenceTokenizer tokenizer, Device? device = null)
        => Collate(sequences, tokenizer.PadTokenId, tokenizer.UsesTokenTypeIds, device);

    public static EncoderBatch Collate(IReadOnlyList<EncodedSequence> sequences, int padTokenId, bool withTokenTypeIds, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0) throw new ArgumentException("A batch needs at least one sequence.", nameof(sequences));
        bool holdsPairs = sequences[0].Second is not null;
        if (sequences.Any(s => (s.Second is not null) != holdsPairs))
            throw new ArgumentException("A batch holds either bi-encoder pairs only or single sequences only.", nameof(sequences));
        if (holdsPairs) sequences = [.. sequences.Select(s => s with { Second = null }), .. sequences.Select(s => s.Second!)];
        int rows = sequences.Count;
        int columns = Math.Max(1, sequences.Max(s => s.Length));
        var ids = new long[rows * columns];
        var mask = new long[rows * columns];
        var types = withTokenTypeIds ? new long[rows * columns] : null;
        Array.Fill(ids, padTokenId);
        for (int r = 0; r < rows; r++)
        {
            var sequence = sequences[r];
            int offset = r * columns;
            for (int c = 0; c < sequence.Length; c++)
            {
                ids[offset + c] = sequence.InputIds[c];
                mask[offset + c] = 1;
                if (types is not null) types[offset + c] = sequence.TokenTypeIds[c];
            }
        }
        long[] shape = [rows, columns];
        return new EncoderBatch(
            tensor(ids, shape, device: device),
            tensor(mask, shape, device: device),
            types is null ? null : tensor(types, shape, device: device),
            holdsPairs);
    }
}
