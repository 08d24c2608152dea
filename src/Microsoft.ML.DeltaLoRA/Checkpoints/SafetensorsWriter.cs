using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Checkpoints;

/// <summary>The floating-point element type a <see cref="SafetensorsWriter"/> stores.</summary>
internal enum SafetensorsDType
{
    F32,
    F16,
    BF16,
}

/// <summary>
/// Writes named tensors as a safetensors file into a stream (callers choose the file and make the write atomic).
/// Floating-point tensors are stored as <see cref="SafetensorsDType.F32"/> unless another type is asked for;
/// int64 tensors are stored as I64. Tensors are written in name order, contiguously, after a header padded to 8 bytes.
/// </summary>
internal static class SafetensorsWriter
{
    public static void Write(
        Stream stream,
        IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null,
        SafetensorsDType dtype = SafetensorsDType.F32)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        var ordered = tensors.OrderBy(pair => pair.Key, StringComparer.Ordinal).ToArray();
        var duplicate = ordered.Zip(ordered.Skip(1)).FirstOrDefault(pair => pair.First.Key == pair.Second.Key);
        if (duplicate.First.Key is not null)
            throw new ArgumentException($"The tensor name '{duplicate.First.Key}' appears twice.", nameof(tensors));

        var plan = ordered.Select(pair => (pair.Key, pair.Value, Type: StoredTypeOf(pair.Key, pair.Value, dtype))).ToArray();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var values = new JsonObject();
            foreach (var (key, value) in metadata.OrderBy(pair => pair.Key, StringComparer.Ordinal)) values[key] = value;
            header["__metadata__"] = values;
        }
        long offset = 0;
        foreach (var (name, tensor, type) in plan)
        {
            var size = tensor.numel() * type.Size;
            header[name] = new JsonObject
            {
                ["dtype"] = type.Name,
                ["shape"] = new JsonArray(tensor.shape.Select(dim => (JsonNode)JsonValue.Create(dim)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + size)),
            };
            offset += size;
        }

        var json = Encoding.UTF8.GetBytes(header.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        var padded = (json.Length + 7) / 8 * 8;
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
        stream.Write(prefix);
        stream.Write(json);
        for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');

        foreach (var (_, tensor, type) in plan)
        {
            using var scope = torch.NewDisposeScope();
            var stored = tensor.detach().cpu().to(type.StoredAs).contiguous();
            if (stored.numel() > 0) stream.Write(stored.bytes);
        }
    }

    private static StoredElementType StoredTypeOf(string name, Tensor tensor, SafetensorsDType dtype)
    {
        if (tensor.dtype == ScalarType.Int64) return StoredElementType.I64;
        if (!torch.is_floating_point(tensor))
            throw new ArgumentException($"The tensor '{name}' has type {tensor.dtype}; only floating-point and int64 tensors can be written.", nameof(tensor));
        return dtype switch
        {
            SafetensorsDType.F32 => StoredElementType.F32,
            SafetensorsDType.F16 => StoredElementType.F16,
            SafetensorsDType.BF16 => StoredElementType.BF16,
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown safetensors dtype."),
        };
    }
}
