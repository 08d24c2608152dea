using System.Buffers.Binary;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Publicizer;

/// <summary>
/// Rewrites the visibility bits of the TypeDef, MethodDef and Field metadata tables in place (ECMA-335 §II.22),
/// so the image keeps its layout: only flag words change. Private members stay private (compiler-generated
/// backing fields and event fields would otherwise clash with the properties and events they serve).
/// </summary>
public static class AccessFlagPatcher
{
    public readonly record struct PatchCounts(int Types, int Methods, int Fields);

    public static PatchCounts MakeInternalsPublic(byte[] image)
    {
        int metadataStart;
        int typeTable, typeRowSize, typeRows;
        int methodTable, methodRowSize, methodRows;
        int fieldTable, fieldRowSize, fieldRows;
        using (var pe = new PEReader(new MemoryStream(image, writable: false)))
        {
            if (!pe.HasMetadata) throw new InvalidDataException("the file has no .NET metadata.");
            metadataStart = pe.PEHeaders.MetadataStartOffset;
            var metadata = pe.GetMetadataReader();
            (typeTable, typeRowSize, typeRows) = Table(metadata, TableIndex.TypeDef);
            (methodTable, methodRowSize, methodRows) = Table(metadata, TableIndex.MethodDef);
            (fieldTable, fieldRowSize, fieldRows) = Table(metadata, TableIndex.Field);
        }

        int types = 0, methods = 0, fields = 0;
        // TypeDef row: Flags (uint32) first.
        for (int row = 0; row < typeRows; row++)
        {
            var at = image.AsSpan(metadataStart + typeTable + row * typeRowSize, 4);
            var flags = (TypeAttributes)BinaryPrimitives.ReadUInt32LittleEndian(at);
            var visibility = flags & TypeAttributes.VisibilityMask;
            var widened = visibility switch
            {
                TypeAttributes.NotPublic => TypeAttributes.Public,
                TypeAttributes.NestedAssembly or TypeAttributes.NestedFamANDAssem or TypeAttributes.NestedFamORAssem => TypeAttributes.NestedPublic,
                _ => visibility,
            };
            if (widened == visibility) continue;
            BinaryPrimitives.WriteUInt32LittleEndian(at, (uint)((flags & ~TypeAttributes.VisibilityMask) | widened));
            types++;
        }
        // MethodDef row: RVA (uint32), ImplFlags (uint16), Flags (uint16).
        for (int row = 0; row < methodRows; row++)
            if (WidenMemberAccess(image.AsSpan(metadataStart + methodTable + row * methodRowSize + 6, 2))) methods++;
        // Field row: Flags (uint16) first.
        for (int row = 0; row < fieldRows; row++)
            if (WidenMemberAccess(image.AsSpan(metadataStart + fieldTable + row * fieldRowSize, 2))) fields++;
        return new PatchCounts(types, methods, fields);
    }

    private static (int Offset, int RowSize, int Rows) Table(MetadataReader metadata, TableIndex table)
        => (metadata.GetTableMetadataOffset(table), metadata.GetTableRowSize(table), metadata.GetTableRowCount(table));

    // Method and field access share one encoding (MethodAttributes.MemberAccessMask == FieldAttributes.FieldAccessMask == 7):
    // 2 = FamANDAssem, 3 = Assembly, 5 = FamORAssem, 6 = Public.
    private static bool WidenMemberAccess(Span<byte> flagWord)
    {
        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(flagWord);
        var access = (MethodAttributes)flags & MethodAttributes.MemberAccessMask;
        if (access is not (MethodAttributes.FamANDAssem or MethodAttributes.Assembly or MethodAttributes.FamORAssem)) return false;
        BinaryPrimitives.WriteUInt16LittleEndian(flagWord, (ushort)((flags & ~(ushort)MethodAttributes.MemberAccessMask) | (ushort)MethodAttributes.Public));
        return true;
    }
}
