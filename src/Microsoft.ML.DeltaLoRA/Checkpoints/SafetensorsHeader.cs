using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.DeltaLoRA.Checkpoints;

/// <summary>One tensor's entry in a safetensors header; offsets are relative to the start of the data section.</summary>
internal sealed record SafetensorsEntry(string Name, StoredElementType Type, long[] Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (count, dim) => count * dim);
}

/// <summary>
/// The validated header of a safetensors file: an 8-byte little-endian length, then that many bytes of JSON
/// mapping tensor names to dtype, shape and data offsets (plus an optional <c>__metadata__</c> object of strings).
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>The safetensors library refuses headers above 100 MB; so do we, before allocating anything.</summary>
    private const long MaxHeaderLength = 100_000_000;

    private SafetensorsHeader(long length, IReadOnlyList<SafetensorsEntry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        Length = length;
        Entries = entries;
        Metadata = metadata;
    }

    public long Length { get; }

    /// <summary>Entries sorted by their position in the data section.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// Reads and checks the header. <paramref name="streamLength"/> (null when unknown) bounds the header and data offsets.
    /// </summary>
    public static SafetensorsHeader Read(Stream stream, long? streamLength, string file)
    {
        Span<byte> prefix = stackalloc byte[8];
        if (ReadFully(stream, prefix) < 8)
            throw new InvalidDataException($"The safetensors file '{file}' is truncated: it is shorter than the 8-byte header length.");
        var length = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (streamLength is long total && length > (ulong)(total - 8))
            throw new InvalidDataException(
                $"The safetensors file '{file}' is truncated or corrupt: its header length {length} goes beyond the file size {total} bytes.");
        if (length > MaxHeaderLength)
            throw new InvalidDataException($"The safetensors file '{file}' has a header length of {length} bytes, above the {MaxHeaderLength}-byte limit.");

        var json = new byte[length];
        if (ReadFully(stream, json) < json.Length)
            throw new InvalidDataException($"The safetensors file '{file}' is truncated: its header length {length} goes beyond the end of the file.");
        var root = ParseJson(json, file);
        var dataLength = streamLength is long size ? size - 8 - (long)length : (long?)null;
        var (entries, metadata) = ParseEntries(root, dataLength, file);
        return new SafetensorsHeader((long)length, entries, metadata);
    }

    private static JsonObject ParseJson(byte[] json, string file)
    {
        try
        {
            return JsonNode.Parse(Encoding.UTF8.GetString(json).TrimEnd(' ')) as JsonObject
                ?? throw new InvalidDataException($"The safetensors file '{file}' has a header that is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The safetensors file '{file}' has a header that is not valid JSON: {e.Message}", e);
        }
    }

    private static (List<SafetensorsEntry>, Dictionary<string, string>) ParseEntries(JsonObject root, long? dataLength, string file)
    {
        var entries = new List<SafetensorsEntry>();
        var metadata = new Dictionary<string, string>();
        foreach (var (name, node) in root)
        {
            if (name == "__metadata__")
            {
                if (node is JsonObject values)
                    foreach (var (key, value) in values) metadata[key] = value?.ToString() ?? "";
                continue;
            }
            entries.Add(ParseEntry(name, node as JsonObject, dataLength, file));
        }
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        for (int i = 1; i < entries.Count; i++)
        {
            var (previous, current) = (entries[i - 1], entries[i]);
            if (current.Begin < previous.End)
                throw new InvalidDataException(
                    $"The safetensors file '{file}' is corrupt: the data of tensor '{current.Name}' [{current.Begin}, {current.End}) " +
                    $"overlaps that of tensor '{previous.Name}' [{previous.Begin}, {previous.End}).");
        }
        return (entries, metadata);
    }

    private static SafetensorsEntry ParseEntry(string name, JsonObject? entry, long? dataLength, string file)
    {
        string Describe(string problem) => $"The safetensors file '{file}' is corrupt: tensor '{name}' {problem}.";
        if (entry is null) throw new InvalidDataException(Describe("has no header object"));

        var dtypeName = entry["dtype"] is JsonValue dtypeValue && dtypeValue.TryGetValue<string>(out var text) ? text : null;
        if (dtypeName is null) throw new InvalidDataException(Describe("has no 'dtype'"));
        var type = StoredElementType.FromSafetensorsName(dtypeName)
            ?? throw new InvalidDataException($"The safetensors file '{file}' stores tensor '{name}' as '{dtypeName}', which is not supported (F64, F32, F16, BF16 and integer types are).");

        var shape = ReadIntegers(entry["shape"]) ?? throw new InvalidDataException(Describe("has no valid 'shape'"));
        if (shape.Any(dim => dim < 0)) throw new InvalidDataException(Describe($"has a negative dimension in shape [{string.Join(", ", shape)}]"));
        var offsets = ReadIntegers(entry["data_offsets"]);
        if (offsets is not { Length: 2 }) throw new InvalidDataException(Describe("has no valid 'data_offsets' pair"));
        var (begin, end) = (offsets[0], offsets[1]);
        if (begin < 0 || end < begin || (dataLength is long available && end > available))
            throw new InvalidDataException(Describe(
                $"has data offsets [{begin}, {end}) out of bounds of the data section ({(dataLength is long known ? known + " bytes" : "unknown size")})"));

        var result = new SafetensorsEntry(name, type, shape, begin, end);
        var expectedBytes = result.ElementCount * type.Size;
        if (end - begin != expectedBytes)
            throw new InvalidDataException(Describe(
                $"has {end - begin} bytes of data, but dtype {type.Name} ({type.Size} bytes) and shape [{string.Join(", ", shape)}] need {expectedBytes}"));
        return result;
    }

    private static long[]? ReadIntegers(JsonNode? node)
    {
        if (node is not JsonArray array) return null;
        var values = new long[array.Count];
        for (int i = 0; i < values.Length; i++)
        {
            if (array[i] is not JsonValue value || !value.TryGetValue<long>(out values[i])) return null;
        }
        return values;
    }

    internal static int ReadFully(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = stream.Read(buffer[total..]);
            if (read == 0) break;
            total += read;
        }
        return total;
    }
}
