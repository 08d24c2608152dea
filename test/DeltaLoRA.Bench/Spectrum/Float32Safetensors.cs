using System.Buffers.Binary;
using System.Text.Json;

namespace DeltaLoRA.Bench.Spectrum;

/// <summary>A float32 tensor read from a safetensors file: its shape and its values in row-major order.</summary>
internal sealed record Float32Tensor(long[] Shape, float[] Values);

/// <summary>
/// Reads the float32 tensors of a safetensors file (8-byte little-endian header length, a JSON header naming each tensor's dtype,
/// shape and byte range, then the data), so that the spectrum measurement reads weights without the library's own loaders.
/// </summary>
internal static class Float32Safetensors
{
    /// <summary>The string metadata of <paramref name="bytes"/> (the header's <c>__metadata__</c> object; empty when it has none).</summary>
    public static IReadOnlyDictionary<string, string> Metadata(byte[] bytes, string source)
    {
        using var header = JsonDocument.Parse(bytes.AsMemory(8, HeaderLength(bytes, source)));
        if (!header.RootElement.TryGetProperty("__metadata__", out var metadata)) return new Dictionary<string, string>();
        return metadata.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()!
            : throw new InvalidDataException($"{source}: metadata '{p.Name}' is not a string."), StringComparer.Ordinal);
    }

    /// <summary>The tensors of <paramref name="bytes"/> whose names <paramref name="select"/> accepts; each must be F32.</summary>
    public static IReadOnlyDictionary<string, Float32Tensor> Read(byte[] bytes, Func<string, bool> select, string source)
    {
        int headerLength = HeaderLength(bytes, source);
        int dataStart = 8 + headerLength;
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        var tensors = new Dictionary<string, Float32Tensor>(StringComparer.Ordinal);
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__" || !select(entry.Name)) continue;
            var dtype = entry.Value.GetProperty("dtype").GetString();
            if (dtype != "F32") throw new InvalidDataException($"{source}: tensor '{entry.Name}' is {dtype}; only F32 is read.");
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            long count = shape.Aggregate(1L, (a, b) => a * b);
            if (offsets.Length != 2 || offsets[1] - offsets[0] != 4 * count || dataStart + offsets[1] > bytes.Length)
                throw new InvalidDataException($"{source}: tensor '{entry.Name}' has byte range [{string.Join(", ", offsets)}] for shape [{string.Join(", ", shape)}].");
            var values = new float[count];
            Buffer.BlockCopy(bytes, dataStart + (int)offsets[0], values, 0, (int)(4 * count));
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian; this reader assumes a little-endian machine.");
            tensors[entry.Name] = new Float32Tensor(shape, values);
        }
        return tensors;
    }

    private static int HeaderLength(byte[] bytes, string source)
    {
        if (bytes.Length < 8) throw new InvalidDataException($"{source} is not a safetensors file: {bytes.Length} bytes.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8)) throw new InvalidDataException($"{source}: the header declares {headerLength} bytes, more than the file holds.");
        return (int)headerLength;
    }
}
