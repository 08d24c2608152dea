using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Checkpoints;

/// <summary>An element type as checkpoint files store it: its size and the torch type it is read as.</summary>
internal sealed record StoredElementType(string Name, int Size, ScalarType StoredAs)
{
    public bool IsFloatingPoint => StoredAs is ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16;

    public static readonly StoredElementType F64 = new("F64", 8, ScalarType.Float64);
    public static readonly StoredElementType F32 = new("F32", 4, ScalarType.Float32);
    public static readonly StoredElementType F16 = new("F16", 2, ScalarType.Float16);
    public static readonly StoredElementType BF16 = new("BF16", 2, ScalarType.BFloat16);
    public static readonly StoredElementType I64 = new("I64", 8, ScalarType.Int64);
    public static readonly StoredElementType I32 = new("I32", 4, ScalarType.Int32);
    public static readonly StoredElementType I16 = new("I16", 2, ScalarType.Int16);
    public static readonly StoredElementType I8 = new("I8", 1, ScalarType.Int8);
    public static readonly StoredElementType U8 = new("U8", 1, ScalarType.Byte);
    public static readonly StoredElementType Bool = new("BOOL", 1, ScalarType.Bool);

    private static readonly StoredElementType[] All = [F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool];

    /// <summary>The type with a safetensors dtype name (<c>F32</c>, <c>BF16</c>, ...), or null.</summary>
    public static StoredElementType? FromSafetensorsName(string name) => All.FirstOrDefault(type => type.Name == name);

    /// <summary>The type of a PyTorch storage class (<c>FloatStorage</c>, <c>HalfStorage</c>, ...), or null.</summary>
    public static StoredElementType? FromStorageClass(string className) => className switch
    {
        "DoubleStorage" => F64,
        "FloatStorage" => F32,
        "HalfStorage" => F16,
        "BFloat16Storage" => BF16,
        "LongStorage" => I64,
        "IntStorage" => I32,
        "ShortStorage" => I16,
        "CharStorage" => I8,
        "ByteStorage" => U8,
        "BoolStorage" => Bool,
        _ => null,
    };

    /// <summary>
    /// A CPU tensor holding little-endian <paramref name="bytes"/> of this type in the given shape;
    /// floating-point data becomes float32, integers stay as they are (the loader ignores integer buffers).
    /// </summary>
    public Tensor ToTensor(byte[] bytes, long[] shape)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Checkpoints are little-endian; this machine is not.");
        var stored = torch.empty(shape, StoredAs);
        if (bytes.Length > 0) stored.bytes = bytes;
        if (StoredAs == ScalarType.Float32 || !IsFloatingPoint) return stored;
        using (stored) return stored.to(ScalarType.Float32);
    }
}
