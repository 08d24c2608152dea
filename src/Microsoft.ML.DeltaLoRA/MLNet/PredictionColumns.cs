using System.Globalization;
using Microsoft.ML.Data;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// Everything a fitted model needs to know about columns: which text columns it reads, and the columns it adds with their
/// types and annotations. Classification adds Score (vector of K probabilities, slot names = class names) and
/// PredictedLabel (the label's key type with its key values, so MapKeyToValue works); regression adds Score (Single).
/// </summary>
internal sealed class PredictionColumns
{
    public PredictionColumns(PredictionTask task, string sentence1ColumnName, string? sentence2ColumnName, string scoreColumnName,
        string? predictedLabelColumnName, int outputCount, DataViewSchema.Annotations? labelKeyValues)
    {
        if (task == PredictionTask.MulticlassClassification && (outputCount < 2 || predictedLabelColumnName is null))
            throw new ArgumentOutOfRangeException(nameof(outputCount), outputCount, "Classification needs at least 2 classes and a predicted label column.");
        if (task == PredictionTask.Regression && outputCount != 1)
            throw new ArgumentOutOfRangeException(nameof(outputCount), outputCount, "Regression has exactly 1 output.");
        Task = task;
        Sentence1ColumnName = sentence1ColumnName;
        Sentence2ColumnName = sentence2ColumnName;
        ScoreColumnName = scoreColumnName;
        PredictedLabelColumnName = task == PredictionTask.MulticlassClassification ? predictedLabelColumnName : null;
        OutputCount = outputCount;
        LabelKeyValues = task == PredictionTask.MulticlassClassification ? KeyValuesOnly(labelKeyValues, outputCount) : null;
        ClassNames = LabelKeyValues is null ? null : KeyValuesAsText(LabelKeyValues);
    }

    public PredictionTask Task { get; }
    public string Sentence1ColumnName { get; }
    public string? Sentence2ColumnName { get; }
    public string ScoreColumnName { get; }

    /// <summary>Null for regression.</summary>
    public string? PredictedLabelColumnName { get; }

    /// <summary>Number of classes, or 1 for regression.</summary>
    public int OutputCount { get; }

    /// <summary>The label's key values (annotation "KeyValues" only) when it had them; null otherwise and for regression.</summary>
    public DataViewSchema.Annotations? LabelKeyValues { get; }

    /// <summary>The key values as text, used as the Score column's slot names.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    public DataViewType ScoreType => Task == PredictionTask.MulticlassClassification
        ? new VectorDataViewType(NumberDataViewType.Single, OutputCount)
        : NumberDataViewType.Single;

    public KeyDataViewType PredictedLabelType => new(typeof(uint), OutputCount);

    /// <summary>The input schema followed by the added columns (which hide input columns of the same names).</summary>
    public DataViewSchema AppendTo(DataViewSchema input)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(ScoreColumnName, ScoreType, ScoreAnnotations());
        if (PredictedLabelColumnName is not null) builder.AddColumn(PredictedLabelColumnName, PredictedLabelType, PredictedLabelAnnotations());
        return builder.ToSchema();
    }

    /// <summary>The estimator's view of the same columns, from a <see cref="SchemaShape"/> whose label column is given.</summary>
    public static IEnumerable<SchemaShape.Column> ShapesOf(PredictionTask task, string scoreColumnName, string predictedLabelColumnName, SchemaShape.Column label)
    {
        var text = TextDataViewType.Instance;
        var scalar = SchemaShape.Column.VectorKind.Scalar;
        var vector = SchemaShape.Column.VectorKind.Vector;
        if (task == PredictionTask.Regression)
        {
            yield return MLNetInternals.ShapeColumn(scoreColumnName, scalar, NumberDataViewType.Single, false, new SchemaShape([
                MLNetInternals.ShapeColumn(MLNetInternals.ScoreColumnKindKind, scalar, text, false),
                MLNetInternals.ShapeColumn(MLNetInternals.ScoreValueKindKind, scalar, text, false)]));
            yield break;
        }
        bool hasKeyValues = label.Annotations.TryFindColumn(MLNetInternals.KeyValuesKind, out var keyValues);
        var scoreAnnotations = new List<SchemaShape.Column>();
        if (hasKeyValues) scoreAnnotations.Add(MLNetInternals.ShapeColumn(MLNetInternals.SlotNamesKind, vector, text, false));
        scoreAnnotations.Add(MLNetInternals.ShapeColumn(MLNetInternals.ScoreColumnKindKind, scalar, text, false));
        scoreAnnotations.Add(MLNetInternals.ShapeColumn(MLNetInternals.ScoreValueKindKind, scalar, text, false));
        yield return MLNetInternals.ShapeColumn(scoreColumnName, vector, NumberDataViewType.Single, false, new SchemaShape(scoreAnnotations));

        var labelAnnotations = new List<SchemaShape.Column>();
        if (hasKeyValues) labelAnnotations.Add(keyValues);
        labelAnnotations.Add(MLNetInternals.ShapeColumn(MLNetInternals.ScoreColumnKindKind, scalar, text, false));
        labelAnnotations.Add(MLNetInternals.ShapeColumn(MLNetInternals.ScoreValueKindKind, scalar, text, false));
        yield return MLNetInternals.ShapeColumn(predictedLabelColumnName, scalar, NumberDataViewType.UInt32, true, new SchemaShape(labelAnnotations));
    }

    private DataViewSchema.Annotations ScoreAnnotations()
    {
        var builder = new DataViewSchema.Annotations.Builder();
        if (ClassNames is { } names)
        {
            var slotNames = names.Select(n => n.AsMemory()).ToArray();
            builder.AddSlotNames(slotNames.Length, (ref VBuffer<ReadOnlyMemory<char>> value) => value = new VBuffer<ReadOnlyMemory<char>>(slotNames.Length, slotNames));
        }
        AddScoreKinds(builder, MLNetInternals.ScoreValueKind);
        return builder.ToAnnotations();
    }

    private DataViewSchema.Annotations PredictedLabelAnnotations()
    {
        var builder = new DataViewSchema.Annotations.Builder();
        if (LabelKeyValues is not null) builder.Add(LabelKeyValues, _ => true);
        AddScoreKinds(builder, MLNetInternals.PredictedLabelValueKind);
        return builder.ToAnnotations();
    }

    private void AddScoreKinds(DataViewSchema.Annotations.Builder builder, string valueKind)
    {
        var columnKind = (Task == PredictionTask.MulticlassClassification ? MLNetInternals.MulticlassScoreColumnKind : MLNetInternals.RegressionScoreColumnKind).AsMemory();
        builder.Add(MLNetInternals.ScoreColumnKindKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = columnKind);
        var kind = valueKind.AsMemory();
        builder.Add(MLNetInternals.ScoreValueKindKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = kind);
    }

    private static DataViewSchema.Annotations? KeyValuesOnly(DataViewSchema.Annotations? annotations, int classCount)
    {
        var column = annotations?.Schema.GetColumnOrNull(MLNetInternals.KeyValuesKind);
        if (annotations is null || column is null) return null;
        if (column.Value.Type is not VectorDataViewType { IsKnownSize: true } type || type.Size != classCount)
            throw new InvalidOperationException($"The label's key values must be a vector of {classCount} values, found {column.Value.Type}.");
        var builder = new DataViewSchema.Annotations.Builder();
        builder.Add(annotations, name => name == MLNetInternals.KeyValuesKind);
        return builder.ToAnnotations();
    }

    private static string[] KeyValuesAsText(DataViewSchema.Annotations keyValues)
    {
        var itemType = ((VectorDataViewType)keyValues.Schema[MLNetInternals.KeyValuesKind].Type).ItemType.RawType;
        var read = typeof(PredictionColumns).GetMethod(nameof(ReadKeyValuesAsText), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        return (string[])read.MakeGenericMethod(itemType).Invoke(null, [keyValues])!;
    }

    private static string[] ReadKeyValuesAsText<T>(DataViewSchema.Annotations keyValues)
    {
        var values = default(VBuffer<T>);
        keyValues.GetValue(MLNetInternals.KeyValuesKind, ref values);
        return values.DenseValues().Select(v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "").ToArray();
    }
}

/// <summary>What a fine-tuned text model predicts, which fixes its label column type and its output columns.</summary>
internal enum PredictionTask
{
    /// <summary>Label: a key type with K values. Outputs: Score (K probabilities) and PredictedLabel (key).</summary>
    MulticlassClassification = 0,

    /// <summary>Label: Single. Output: Score (Single).</summary>
    Regression = 1,
}
