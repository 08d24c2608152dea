using System.Buffers.Binary;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Checkpoints;

/// <summary>
/// Byte sizes and decoding of TF.js weight data (little-endian, as tfjs-core's <c>io.decodeWeights</c> reads it):
/// float32, int32, bool (one byte each), and quantized uint8/uint16 (q·scale + min, rounded half up for int32 like JavaScript's Math.round) or float16.
/// </summary>
internal static class TfjsWeightDecoder
{
    /// <summary>Bytes the weight occupies in its group, starting at <paramref name="offset"/> (strings carry their own lengths).</summary>
    public static long ByteLength(TfjsWeightSpec spec, ReadOnlySpan<byte> group, long offset, string groupDescription)
    {
        if (spec.Quantization is { } quantization)
            return spec.ElementCount * QuantizedElementSize(spec, quantization);
        switch (spec.DType)
        {
            case "float32":
            case "int32":
                return spec.ElementCount * 4;
            case "bool":
                return spec.ElementCount;
            case "complex64":
                return spec.ElementCount * 8;
            case "string":
                // Each string is a 4-byte little-endian length followed by its bytes.
                long position = offset;
                for (long i = 0; i < spec.ElementCount; i++)
                {
                    if (position + 4 > group.Length)
                        throw new InvalidDataException($"{groupDescription} ends inside the string weight '{spec.Name}'.");
                    position += 4 + BinaryPrimitives.ReadUInt32LittleEndian(group[(int)position..]);
                }
                return position - offset;
            default:
                throw new InvalidDataException($"Weight '{spec.Name}' has dtype '{spec.DType}'; expected float32, int32, bool, complex64 or string.");
        }
    }

    public static Tensor Decode(TfjsWeightSpec spec, ReadOnlySpan<byte> data)
    {
        long[] shape = spec.Shape;
        if (spec.Quantization is { } quantization)
            return DecodeQuantized(spec, quantization, data);
        switch (spec.DType)
        {
            case "float32":
            {
                var values = new float[spec.ElementCount];
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(i * 4)..]);
                return tensor(values, shape);
            }
            case "int32":
            {
                var values = new int[spec.ElementCount];
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt32LittleEndian(data[(i * 4)..]);
                return tensor(values, shape);
            }
            case "bool":
            {
                var values = new bool[spec.ElementCount];
                for (int i = 0; i < values.Length; i++) values[i] = data[i] != 0;
                return tensor(values, shape);
            }
            default:
                throw new InvalidDataException($"Weight '{spec.Name}' has dtype '{spec.DType}', which cannot be read as a tensor here (float32, int32 and bool can).");
        }
    }

    private static int QuantizedElementSize(TfjsWeightSpec spec, TfjsQuantization quantization) => quantization.DType switch
    {
        "uint8" => 1,
        "uint16" or "float16" => 2,
        _ => throw new InvalidDataException(
            $"Weight '{spec.Name}' is quantized as '{quantization.DType}'; expected uint8, uint16 or float16."),
    };

    private static Tensor DecodeQuantized(TfjsWeightSpec spec, TfjsQuantization quantization, ReadOnlySpan<byte> data)
    {
        int size = QuantizedElementSize(spec, quantization);
        var raw = new double[spec.ElementCount];
        for (int i = 0; i < raw.Length; i++)
        {
            raw[i] = quantization.DType switch
            {
                "uint8" => data[i] * quantization.Scale + quantization.Min,
                "uint16" => BinaryPrimitives.ReadUInt16LittleEndian(data[(i * size)..]) * quantization.Scale + quantization.Min,
                _ => (double)BinaryPrimitives.ReadHalfLittleEndian(data[(i * size)..]),
            };
        }
        return quantization.OriginalDType switch
        {
            "float32" => tensor(raw.Select(v => (float)v).ToArray(), spec.Shape),
            "int32" when quantization.DType != "float16" => tensor(raw.Select(v => (int)Math.Floor(v + 0.5)).ToArray(), spec.Shape),
            _ => throw new InvalidDataException(
                $"Weight '{spec.Name}' is quantized as '{quantization.DType}' from '{quantization.OriginalDType}'; expected float32 (or int32 for uint8/uint16)."),
        };
    }
}
