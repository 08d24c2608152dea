using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// The few internal ML.NET members the rest of the ML.NET layer needs, in one place (see AccessChecks.cs):
/// the catalog's environment, SchemaShape columns, host cancellation, and the annotation kind names.
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

    /// <summary>The estimator-side view of a schema (what pipelines pass to <c>GetOutputSchema</c>).</summary>
    public static SchemaShape ShapeOf(DataViewSchema schema) => SchemaShape.Create(schema);

    /// <summary>Whether <c>MLContext.CancelExecution()</c> reached this host (hosts registered before the call see it).</summary>
    public static bool IsCanceled(IHost host) => host is ICancelable { IsCanceled: true };

    /// <summary><c>MLContext.GpuDeviceId</c> and <c>MLContext.FallbackToCpu</c>, read through the environment interface a trainer is given.</summary>
    public static (int? GpuDeviceId, bool FallbackToCpu) DeviceSettings(IHostEnvironment environment)
        => environment is IHostEnvironmentInternal settings ? (settings.GpuDeviceId, settings.FallbackToCpu) : (null, true);
}
