// ML.NET keeps its model persistence API (ModelSaveContext/ModelLoadContext members, VersionInfo, LoadableClass,
// SignatureLoadModel, SchemaShape.Column's constructor, ...) internal. This assembly compiles against publicized copies
// of Microsoft.ML.Core and Microsoft.ML.Data (build/Publicize.targets) and runs against the real ones: the attribute
// below tells the runtime to skip access checks from this assembly into them.
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Data")]

namespace System.Runtime.CompilerServices
{
    /// <summary>
    /// Recognised by the runtime by name (it ships in no public reference assembly): the declaring assembly may use
    /// non-public members of the named assembly.
    /// </summary>
    [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
    internal sealed class IgnoresAccessChecksToAttribute(string assemblyName) : Attribute
    {
        public string AssemblyName { get; } = assemblyName;
    }
}
