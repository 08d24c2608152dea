using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace Microsoft.ML.DeltaLoRA.Tests.Checkpoints;

/// <summary>A safetensors file taken apart byte by byte (header JSON and data section), to build damaged or hand-made copies.</summary>
internal sealed class RawSafetensors(JsonObject header, byte[] data)
{
    public JsonObject Header { get; } = header;
    public byte[] Data { get; set; } = data;

    public static RawSafetensors Read(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, length))!.AsObject();
        return new RawSafetensors(header, bytes[(8 + length)..]);
    }

    public byte[] ToBytes() => Compose(Encoding.UTF8.GetBytes(Header.ToJsonString()), Data);

    public void Write(string file) => File.WriteAllBytes(file, ToBytes());

    /// <summary>An 8-byte length, the header bytes as given, then the data.</summary>
    public static byte[] Compose(byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    public JsonObject Entry(string name) => Header[name]!.AsObject();

    public (long Begin, long End) Offsets(string name)
    {
        var offsets = Entry(name)["data_offsets"]!.AsArray();
        return (offsets[0]!.GetValue<long>(), offsets[1]!.GetValue<long>());
    }

    public void SetOffsets(string name, long begin, long end) => Entry(name)["data_offsets"] = new JsonArray(begin, end);
}
