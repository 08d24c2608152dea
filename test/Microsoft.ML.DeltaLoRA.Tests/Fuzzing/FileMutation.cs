using FsCheck;
using FsCheck.Fluent;

namespace Microsoft.ML.DeltaLoRA.Tests.Fuzzing;

/// <summary>How a <see cref="FileMutation"/> changes a file.</summary>
internal enum MutationKind
{
    /// <summary>XOR one byte with a non-zero value.</summary>
    FlipBits,
    /// <summary>Cut the file at a position.</summary>
    Truncate,
    /// <summary>Insert bytes of one value.</summary>
    Insert,
    /// <summary>Remove a run of bytes.</summary>
    Remove,
    /// <summary>Overwrite a run of bytes with one value (0x00, 0xFF and the like make sizes and counts extreme).</summary>
    Overwrite,
}

/// <summary>
/// One change to a real file's bytes. <see cref="Where"/> is a fraction of the file's length, so that one mutation means the same
/// thing for files of any size; half of the generated positions fall in the first 4 KiB, where the headers and sizes are.
/// </summary>
internal sealed record FileMutation(MutationKind Kind, double Where, bool InHeader, int Length, byte Value)
{
    private const int HeaderBytes = 4096;

    public byte[] Apply(byte[] file)
    {
        if (file.Length == 0) return Kind == MutationKind.Insert ? Enumerable.Repeat(Value, Length).ToArray() : file;
        int span = InHeader ? Math.Min(HeaderBytes, file.Length) : file.Length;
        int at = Math.Min(file.Length - 1, (int)(Where * span));
        var bytes = file.ToList();
        switch (Kind)
        {
            case MutationKind.FlipBits:
                bytes[at] ^= Value == 0 ? (byte)1 : Value;
                break;
            case MutationKind.Truncate:
                bytes.RemoveRange(at, bytes.Count - at);
                break;
            case MutationKind.Insert:
                bytes.InsertRange(at, Enumerable.Repeat(Value, Length));
                break;
            case MutationKind.Remove:
                bytes.RemoveRange(at, Math.Min(Length, bytes.Count - at));
                break;
            case MutationKind.Overwrite:
                for (int i = at; i < Math.Min(bytes.Count, at + Length); i++) bytes[i] = Value;
                break;
        }
        return bytes.ToArray();
    }

    public override string ToString() => $"{Kind} at {(InHeader ? "header " : "")}{Where:0.000000} len {Length} value 0x{Value:x2}";

    /// <summary>One to three mutations applied in turn.</summary>
    public static Arbitrary<FileMutation[]> Arbitrary { get; } = Arb.From(
        from count in Gen.Choose(1, 3)
        from mutations in Gen.ArrayOf(One, count)
        select mutations);

    private static Gen<FileMutation> One =>
        from kind in Gen.Elements(Enum.GetValues<MutationKind>())
        from position in Gen.Choose(0, 1_000_000).Select(n => n / 1_000_000.0)
        from inHeader in Gen.Elements(true, false)
        from length in Gen.Frequency((3, Gen.Choose(1, 8)), (1, Gen.Choose(9, 4096)))
        from value in Gen.Frequency((2, Gen.Elements<byte>(0x00, 0xFF, 0x7F, 0x80, (byte)'"', (byte)'\n', (byte)',', (byte)'\t', (byte)'{', (byte)'9')),
            (3, Gen.Choose(0, 255).Select(v => (byte)v)))
        select new FileMutation(kind, position, inHeader, length, value);
}
