using System.Runtime.InteropServices;
using Onnx;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Microsoft.ML.DeltaLoRA.Checkpoints.Onnx;

/// <summary>
/// Turns an ONNX initializer into a float32 tensor: F32, F16, BF16 and F64, stored inline (raw bytes or typed fields) or as
/// external data in a file beside the model. Anything else fails naming the initializer.
/// </summary>
internal static class OnnxInitializer
{
    public static bool IsFloatingPoint(TensorProto proto)
        => (DataType)proto.DataType is DataType.Float or DataType.Float16 or DataType.Bfloat16 or DataType.Double;

    public static Tensor ToFloatTensor(TensorProto proto, string modelFile)
    {
        var shape = proto.Dims.ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var values = (DataType)proto.DataType switch
        {
            DataType.Float when proto.FloatData.Count > 0 => proto.FloatData.ToArray(),
            DataType.Float => Decode(Bytes(proto, modelFile, count * 4), 4, bytes => MemoryMarshal.Read<float>(bytes)),
            DataType.Double when proto.DoubleData.Count > 0 => proto.DoubleData.Select(v => (float)v).ToArray(),
            DataType.Double => Decode(Bytes(proto, modelFile, count * 8), 8, bytes => (float)MemoryMarshal.Read<double>(bytes)),
            // ONNX keeps 16-bit floats either as raw bytes or widened into int32_data, one value per element.
            DataType.Float16 when proto.Int32Data.Count > 0 => proto.Int32Data.Select(v => (float)BitConverter.UInt16BitsToHalf((ushort)v)).ToArray(),
            DataType.Float16 => Decode(Bytes(proto, modelFile, count * 2), 2, bytes => (float)MemoryMarshal.Read<Half>(bytes)),
            DataType.Bfloat16 when proto.Int32Data.Count > 0 => proto.Int32Data.Select(v => BFloat16ToSingle((ushort)v)).ToArray(),
            DataType.Bfloat16 => Decode(Bytes(proto, modelFile, count * 2), 2, bytes => BFloat16ToSingle(MemoryMarshal.Read<ushort>(bytes))),
            var other => throw new InvalidDataException(
                $"The initializer '{proto.Name}' in '{modelFile}' has element type {other}; expected a floating-point type (F32, F16, BF16, F64)."),
        };
        if (values.LongLength != count)
            throw new InvalidDataException(
                $"The initializer '{proto.Name}' in '{modelFile}' has {values.LongLength} values; its shape [{string.Join(", ", shape)}] needs {count}.");
        return tensor(values, shape, ScalarType.Float32);
    }

    private static byte[] Bytes(TensorProto proto, string modelFile, long expectedLength)
    {
        var bytes = proto.DataLocation == TensorProto.Types.DataLocation.External
            ? ExternalBytes(proto, modelFile)
            : proto.RawData.ToByteArray();
        if (bytes.LongLength != expectedLength)
            throw new InvalidDataException(
                $"The initializer '{proto.Name}' in '{modelFile}' has {bytes.LongLength} bytes of data; its shape [{string.Join(", ", proto.Dims)}] needs {expectedLength}.");
        return bytes;
    }

    /// <summary>External data: <c>location</c> (a file beside the model, never outside its folder), <c>offset</c>, <c>length</c>.</summary>
    private static byte[] ExternalBytes(TensorProto proto, string modelFile)
    {
        var entries = proto.ExternalData.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        if (!entries.TryGetValue("location", out var location) || string.IsNullOrEmpty(location))
            throw new InvalidDataException($"The initializer '{proto.Name}' in '{modelFile}' is stored externally but names no file ('location').");
        var folder = Path.GetFullPath(Path.GetDirectoryName(Path.GetFullPath(modelFile))!);
        var dataFile = Path.GetFullPath(Path.Combine(folder, location));
        if (!dataFile.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidDataException($"The initializer '{proto.Name}' in '{modelFile}' points outside the model's folder ('{location}').");
        if (!File.Exists(dataFile))
            throw new FileNotFoundException($"The initializer '{proto.Name}' in '{modelFile}' is stored in '{dataFile}', which does not exist.", dataFile);
        long offset = entries.TryGetValue("offset", out var o) ? long.Parse(o) : 0;
        using var stream = File.OpenRead(dataFile);
        long length = entries.TryGetValue("length", out var l) ? long.Parse(l) : stream.Length - offset;
        if (offset < 0 || length < 0 || offset + length > stream.Length || length > Array.MaxLength)
            throw new InvalidDataException(
                $"The initializer '{proto.Name}' in '{modelFile}' asks for bytes {offset}..{offset + length} of '{dataFile}', which has {stream.Length}.");
        var bytes = new byte[length];
        stream.Position = offset;
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static float[] Decode(byte[] bytes, int size, Func<ReadOnlySpan<byte>, float> read)
    {
        var values = new float[bytes.Length / size];
        for (int i = 0; i < values.Length; i++) values[i] = read(bytes.AsSpan(i * size, size));
        return values;
    }

    private static float BFloat16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);
}
