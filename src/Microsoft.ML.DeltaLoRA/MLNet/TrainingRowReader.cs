using Microsoft.ML.Data;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// Reads training rows from a data view into a <see cref="TextTrainingSet"/>: missing text becomes "", rows whose label is
/// missing (key 0 or out of range, or a non-finite regression target) are skipped and counted.
/// </summary>
internal static class TrainingRowReader
{
    private const int CancellationCheckInterval = 1024;

    public static (TextTrainingSet Rows, long Skipped) Read(IDataView data, PredictionTask task, string labelColumnName,
        string sentence1ColumnName, string? sentence2ColumnName, TrainingSession session)
    {
        var (label, classCount) = InputColumns.RequireLabel(data.Schema, labelColumnName, task);
        var first = InputColumns.RequireText(data.Schema, sentence1ColumnName, "text");
        DataViewSchema.Column? second = sentence2ColumnName is null ? null : InputColumns.RequireText(data.Schema, sentence2ColumnName, "second text");

        var active = second is null ? new[] { label, first } : [label, first, second.Value];
        using var cursor = data.GetRowCursor(active);
        var readLabel = LabelReader(cursor, label, task, classCount);
        var readFirst = cursor.GetGetter<ReadOnlyMemory<char>>(first);
        var readSecond = second is null ? null : cursor.GetGetter<ReadOnlyMemory<char>>(second.Value);

        var firstTexts = new List<string>();
        var secondTexts = second is null ? null : new List<string>();
        var classIndices = new List<int>();
        var targets = new List<float>();
        long skipped = 0, seen = 0;
        var text = default(ReadOnlyMemory<char>);
        while (cursor.MoveNext())
        {
            if (++seen % CancellationCheckInterval == 0) session.ThrowIfCancellationRequested();
            if (!readLabel(out int classIndex, out float target))
            {
                skipped++;
                continue;
            }
            if (task == PredictionTask.Regression) targets.Add(target);
            else classIndices.Add(classIndex);
            readFirst(ref text);
            firstTexts.Add(text.ToString());
            if (readSecond is not null)
            {
                readSecond(ref text);
                secondTexts!.Add(text.ToString());
            }
        }
        session.ThrowIfCancellationRequested();

        var rows = task == PredictionTask.Regression
            ? TextTrainingSet.ForRegression(firstTexts.ToArray(), secondTexts?.ToArray(), targets.ToArray())
            : TextTrainingSet.ForClassification(classCount, firstTexts.ToArray(), secondTexts?.ToArray(), classIndices.ToArray());
        return (rows, skipped);
    }

    /// <summary>Reads the zero-based class (classification) or the target (regression) of the current row; false when missing.</summary>
    private delegate bool LabelRead(out int classIndex, out float target);

    private static LabelRead LabelReader(DataViewRowCursor cursor, DataViewSchema.Column label, PredictionTask task, int classCount)
    {
        if (task == PredictionTask.Regression)
        {
            var getter = cursor.GetGetter<float>(label);
            return (out int classIndex, out float target) =>
            {
                classIndex = 0;
                target = 0;
                getter(ref target);
                return float.IsFinite(target);
            };
        }
        var key = KeyGetter(cursor, label);
        return (out int classIndex, out float target) =>
        {
            target = 0;
            ulong value = key();
            bool present = value != 0 && value <= (ulong)classCount;
            classIndex = present ? (int)(value - 1) : 0;
            return present;
        };
    }

    private static Func<ulong> KeyGetter(DataViewRowCursor cursor, DataViewSchema.Column label)
    {
        switch (label.Type.RawType)
        {
            case var t when t == typeof(byte): { var g = cursor.GetGetter<byte>(label); byte v = 0; return () => { g(ref v); return v; }; }
            case var t when t == typeof(ushort): { var g = cursor.GetGetter<ushort>(label); ushort v = 0; return () => { g(ref v); return v; }; }
            case var t when t == typeof(uint): { var g = cursor.GetGetter<uint>(label); uint v = 0; return () => { g(ref v); return v; }; }
            case var t when t == typeof(ulong): { var g = cursor.GetGetter<ulong>(label); ulong v = 0; return () => { g(ref v); return v; }; }
            default: throw new InvalidOperationException($"Label column '{label.Name}' has key type {label.Type} with unsupported raw type {label.Type.RawType}.");
        }
    }
}
