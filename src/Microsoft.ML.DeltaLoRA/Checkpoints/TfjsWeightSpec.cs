namespace Microsoft.ML.DeltaLoRA.Checkpoints;

/// <summary>
/// How a TF.js weight is quantized in its shard: <c>uint8</c> or <c>uint16</c> (value = q·scale + min) or <c>float16</c>.
/// <see cref="OriginalDType"/> is the dtype the weight had before quantization (float32 or int32).
/// </summary>
internal sealed record TfjsQuantization(string DType, double Scale, double Min, string OriginalDType);

/// <summary>
/// One entry of a TF.js <c>weightsManifest</c>: a named tensor stored in the concatenated shards of group <see cref="GroupIndex"/>,
/// in manifest order with no padding between tensors.
/// </summary>
internal sealed record TfjsWeightSpec(string Name, long[] Shape, string DType, TfjsQuantization? Quantization, int GroupIndex)
{
    public long ElementCount => Shape.Aggregate(1L, (product, size) => product * size);

    public string ShapeText => $"[{string.Join(", ", Shape)}]";
}
