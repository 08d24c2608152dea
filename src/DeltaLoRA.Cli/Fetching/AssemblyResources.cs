using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace DeltaLoRA.Cli.Fetching;

/// <summary>
/// Reads the embedded resources of a .NET assembly from its metadata (System.Reflection.Metadata), without loading it: nothing
/// in the package runs.
/// </summary>
internal static class AssemblyResources
{
    /// <summary>The bytes of the resource <paramref name="name"/> in <paramref name="assembly"/>; fails naming both when it is absent.</summary>
    public static byte[] Read(string assembly, string name)
    {
        try
        {
            using var stream = File.OpenRead(assembly);
            using var pe = new PEReader(stream);
            var metadata = pe.GetMetadataReader();
            var names = new List<string>();
            foreach (var handle in metadata.ManifestResources)
            {
                var resource = metadata.GetManifestResource(handle);
                var resourceName = metadata.GetString(resource.Name);
                names.Add(resourceName);
                if (resourceName != name) continue;
                if (!resource.Implementation.IsNil)
                    throw new InvalidDataException($"The resource '{name}' of '{assembly}' lives in another file; expected it embedded.");
                var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
                var block = pe.GetSectionData(directory.RelativeVirtualAddress);
                if (resource.Offset + 4 > directory.Size)
                    throw new InvalidDataException($"The resource '{name}' of '{assembly}' starts beyond the resources section.");
                var reader = block.GetReader((int)resource.Offset, directory.Size - (int)resource.Offset);
                int length = reader.ReadInt32();
                if (length < 0 || length > reader.RemainingBytes)
                    throw new InvalidDataException($"The resource '{name}' of '{assembly}' claims {length} bytes, more than the section holds.");
                return reader.ReadBytes(length);
            }
            throw new InvalidDataException(
                $"'{assembly}' has no resource '{name}' (it has: {(names.Count == 0 ? "none" : string.Join(", ", names))}).");
        }
        catch (BadImageFormatException e)
        {
            throw new InvalidDataException($"'{assembly}' is not a .NET assembly: {e.Message}", e);
        }
    }
}
