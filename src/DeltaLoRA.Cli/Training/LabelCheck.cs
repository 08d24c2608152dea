using Microsoft.ML;
using Microsoft.ML.Data;

namespace DeltaLoRA.Cli.Training;

/// <summary>Catches a wrong label column before training: too few classes, or a text or ID column taken for classes.</summary>
internal static class LabelCheck
{
    /// <summary>More classes than this is taken for a text column rather than a label.</summary>
    public const int MaxClasses = 1000;

    /// <summary>For classification: <paramref name="keyed"/> is the training data after MapValueToKey of <paramref name="label"/>.</summary>
    public static int RequireClasses(IDataView keyed, string label, long rows, string source)
    {
        int classes = keyed.Schema[label].Type is KeyDataViewType key ? (int)key.Count : 0;
        var examples = string.Join(", ", ClassNames(keyed, label).Take(5).Select(v => $"'{v}'"));
        if (classes < 2)
            throw new UserErrorException(
                $"The label column '{label}' of {source} has {classes} distinct value(s){(classes > 0 ? $" ({examples})" : "")}; classification needs at least 2 classes. " +
                "Name the label with --label-col.");
        if (classes > MaxClasses || (rows >= 20 && classes > rows / 2))
            throw new UserErrorException(
                $"The label column '{label}' of {source} has {classes} distinct values in {rows} rows (for example {examples}); it looks like a text or " +
                "ID column rather than classes. Name the label with --label-col, or use --task regression for numeric targets.");
        return classes;
    }

    /// <summary>The classes of the label column <paramref name="label"/> of <paramref name="keyed"/> (its key values), in key order.</summary>
    public static string[] ClassNames(IDataView keyed, string label)
    {
        var column = keyed.Schema[label];
        var values = default(VBuffer<ReadOnlyMemory<char>>);
        if (column.Annotations.Schema.GetColumnOrNull("KeyValues") is not null)
            column.Annotations.GetValue("KeyValues", ref values);
        return values.DenseValues().Select(v => v.ToString()).ToArray();
    }

    /// <summary>Rows whose Single column <paramref name="columnName"/> holds a number (not NaN, which is how missing values read).</summary>
    public static long CountNumbers(IDataView data, string columnName)
    {
        var column = data.Schema[columnName];
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<float>(column);
        float value = 0;
        long numbers = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            if (!float.IsNaN(value)) numbers++;
        }
        return numbers;
    }
}
