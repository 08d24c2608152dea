using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Microsoft.ML.DeltaLoRA.Tests.Infrastructure;

/// <summary>
/// TorchSharp's implicit number → <c>Scalar</c> conversion makes a finalizable object that nothing keeps alive during the
/// native call it is passed to. When a GC runs on another thread meanwhile, the finalizer thread frees the c10::Scalar while
/// libtorch reads it: the flaky "Expected false to be true … toFloat at c10/core/Scalar.h" (a freed Scalar's tag is garbage).
/// The build bans the conversion (build/BannedSymbols.txt); this checks the compiled assemblies, so that a project that
/// drops the analyzer cannot bring the race back unseen.
/// </summary>
public class ImplicitScalarTests
{
    public static TheoryData<string> Assemblies() => new()
    {
        "Microsoft.ML.DeltaLoRA.dll", "deltalora.dll", "deltalora-bench.dll", "Microsoft.ML.DeltaLoRA.Tests.dll",
    };

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void NoCodeConvertsNumbersToTorchScalarsImplicitly(string assembly)
    {
        using var file = File.OpenRead(Path.Combine(AppContext.BaseDirectory, assembly));
        using var pe = new PEReader(file);
        var metadata = pe.GetMetadataReader();
        var implicitScalars = metadata.MemberReferences
            .Select(metadata.GetMemberReference)
            .Where(member => metadata.GetString(member.Name) == "op_Implicit"
                && member.Parent.Kind == HandleKind.TypeReference
                && IsTorchScalar(metadata, (TypeReferenceHandle)member.Parent))
            .ToArray();
        Assert.True(implicitScalars.Length == 0,
            $"{assembly} references TorchSharp.Scalar.op_Implicit ({implicitScalars.Length} signature(s)); pass a `using var s = x.ToScalar();` instead.");
    }

    private static bool IsTorchScalar(MetadataReader metadata, TypeReferenceHandle handle)
    {
        var type = metadata.GetTypeReference(handle);
        return metadata.GetString(type.Namespace) == "TorchSharp" && metadata.GetString(type.Name) == "Scalar";
    }
}
