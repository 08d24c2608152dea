using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

// ML.NET keeps its model persistence API (ModelSaveContext/ModelLoadContext members, VersionInfo, LoadableClass,
// SignatureLoadModel, SchemaShape.Column's constructor, ...) internal. This assembly compiles against publicized copies
// of Microsoft.ML.Core and Microsoft.ML.Data (build/Publicize.targets) and runs against the real ones: the attribute
// below tells the runtime to skip access checks from this assembly into them.
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Data")]

namespace Microsoft.ML.DeltaLoRA.MLNet
{
    /// <summary>
    /// The few internal ML.NET members the rest of the ML.NET layer needs, in one place: the catalog's environment,
    /// SchemaShape columns, host cancellation, the MLContext's device settings and the annotation kind names. Persistence
    /// (TransformerModelFile) uses ML.NET's internal save/load API directly.
    /// </summary>
    internal static class MLNetInternals
    {
        public const string KeyValuesKind = AnnotationUtils.Kinds.KeyValues;
        public const string SlotNamesKind = AnnotationUtils.Kinds.SlotNames;
        public const string ScoreColumnKindKind = AnnotationUtils.Kinds.ScoreColumnKind;
        public const string ScoreValueKindKind = AnnotationUtils.Kinds.ScoreValueKind;
        public const string MulticlassScoreColumnKind = AnnotationUtils.Const.ScoreColumnKind.MulticlassClassification;
        public const string RegressionScoreColumnKind = AnnotationUtils.Const.ScoreColumnKind.Regression;
        public const string ScoreValueKind = AnnotationUtils.Const.ScoreValueKind.Score;
        public const string PredictedLabelValueKind = AnnotationUtils.Const.ScoreValueKind.PredictedLabel;

        /// <summary>The MLContext (or other environment) a trainer catalog belongs to.</summary>
        public static IHostEnvironment EnvironmentOf(TrainCatalogBase.CatalogInstantiatorBase catalog) => CatalogUtils.GetEnvironment(catalog);

        public static SchemaShape.Column ShapeColumn(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey, SchemaShape? annotations = null)
            => new(name, kind, itemType, isKey, annotations);

        /// <summary>Whether <c>MLContext.CancelExecution()</c> reached this host (hosts registered before the call see it).</summary>
        public static bool IsCanceled(IHost host) => host is ICancelable { IsCanceled: true };

        /// <summary><c>MLContext.GpuDeviceId</c> and <c>MLContext.FallbackToCpu</c>, read through the environment interface a trainer is given.</summary>
        public static (int? GpuDeviceId, bool FallbackToCpu) DeviceSettings(IHostEnvironment environment)
            => environment is IHostEnvironmentInternal settings ? (settings.GpuDeviceId, settings.FallbackToCpu) : (null, true);
    }
}

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
