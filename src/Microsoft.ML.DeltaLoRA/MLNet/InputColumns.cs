using Microsoft.ML.Data;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// Checks that input data has the columns a trainer or a fitted model reads, with the right types, and says precisely what is
/// wrong otherwise (<see cref="ArgumentOutOfRangeException"/> naming the column, the expected and the found type).
/// </summary>
internal static class InputColumns
{
    private const string TextExpected = "text (String)";
    private const string KeyExpected = "a key type (apply MapValueToKey to the label first)";
    private const string SingleExpected = "Single";

    public static DataViewSchema.Column RequireText(DataViewSchema schema, string name, string role)
    {
        var column = Find(schema, name, role, TextExpected);
        if (column.Type is not TextDataViewType) throw WrongType(name, role, TextExpected, column.Type);
        return column;
    }

    /// <summary>The label column; for classification also its number of classes.</summary>
    public static (DataViewSchema.Column Column, int ClassCount) RequireLabel(DataViewSchema schema, string name, PredictionTask task)
    {
        var column = Find(schema, name, "label", task == PredictionTask.Regression ? SingleExpected : KeyExpected);
        return (column, CheckLabelType(name, task, column.Type, column.Type as KeyDataViewType));
    }

    public static void RequireText(SchemaShape shape, string name, string role)
    {
        var column = Find(shape, name, role, TextExpected);
        if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.ItemType is not TextDataViewType || column.IsKey)
            throw WrongType(name, role, TextExpected, Describe(column));
    }

    public static SchemaShape.Column RequireLabel(SchemaShape shape, string name, PredictionTask task)
    {
        var column = Find(shape, name, "label", task == PredictionTask.Regression ? SingleExpected : KeyExpected);
        bool scalar = column.Kind == SchemaShape.Column.VectorKind.Scalar;
        if (task == PredictionTask.Regression && (!scalar || column.IsKey || column.ItemType != NumberDataViewType.Single))
            throw WrongType(name, "label", SingleExpected, Describe(column));
        if (task == PredictionTask.MulticlassClassification && (!scalar || !column.IsKey))
            throw WrongType(name, "label", KeyExpected, Describe(column));
        return column;
    }

    private static int CheckLabelType(string name, PredictionTask task, DataViewType type, KeyDataViewType? key)
    {
        if (task == PredictionTask.Regression)
        {
            if (type != NumberDataViewType.Single) throw WrongType(name, "label", SingleExpected, type);
            return 1;
        }
        if (key is null) throw WrongType(name, "label", KeyExpected, type);
        if (key.Count < 2 || key.Count > int.MaxValue)
            throw new ArgumentOutOfRangeException("inputSchema",
                $"Label column '{name}' has a key type with {key.Count} values; classification needs between 2 and {int.MaxValue} classes.");
        return (int)key.Count;
    }

    private static DataViewSchema.Column Find(DataViewSchema schema, string name, string role, string expected)
        => schema.GetColumnOrNull(name) ?? throw Missing(name, role, expected, schema.Where(c => !c.IsHidden).Select(c => c.Name));

    private static SchemaShape.Column Find(SchemaShape shape, string name, string role, string expected)
        => shape.TryFindColumn(name, out var column) ? column : throw Missing(name, role, expected, shape.Select(c => c.Name));

    private static ArgumentOutOfRangeException Missing(string name, string role, string expected, IEnumerable<string> present)
        => new("inputSchema", $"Input data has no column '{name}' ({role}); expected a column of {expected}. Columns present: {string.Join(", ", present)}.");

    private static ArgumentOutOfRangeException WrongType(string name, string role, string expected, DataViewType found)
        => WrongType(name, role, expected, Describe(found));

    private static ArgumentOutOfRangeException WrongType(string name, string role, string expected, string found)
        => new("inputSchema", $"Column '{name}' ({role}) must be {expected}, found {found}.");

    /// <summary>Says the same for a schema's column type as <see cref="Describe(SchemaShape.Column)"/> does for its shape.</summary>
    private static string Describe(DataViewType type) => type switch
    {
        KeyDataViewType key => $"Key<{key.RawType.Name}>",
        VectorDataViewType vector => $"Vector<{Describe(vector.ItemType)}>",
        _ => type.ToString() ?? type.RawType.Name,
    };

    private static string Describe(SchemaShape.Column column)
    {
        var item = column.IsKey ? $"Key<{column.ItemType}>" : column.ItemType.ToString() ?? column.ItemType.RawType.Name;
        return column.Kind == SchemaShape.Column.VectorKind.Scalar ? item : $"Vector<{item}>";
    }
}
