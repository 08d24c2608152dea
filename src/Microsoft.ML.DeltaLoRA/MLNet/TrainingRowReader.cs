using Microsoft.ML.Data;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// Reads training rows from a data view into a <see cref="TextTrainingSet"/>: missing text becomes "", rows whose label is
/// missing (key 0 or out of range, or a non-finite regression target) are skipped and counted.
/// </summary>
internal static class TrainingRowReader
{
    private const int CancellationCheckInterval = 1024;

    /// <param name="data">The training (or validation) data.</param>
    /// <param name="task">Fixes the label's type.</param>
    /// <param name="options">The label and text column names.</param>
    /// <param name="throwIfCanceled">Called every <see cref="CancellationCheckInterval"/> rows and at the end; null when reading cannot be canceled.</param>
    public static (TextTrainingSet Rows, long Skipped) Read(IDataView data, PredictionTask task, DeltaLoRAOptions options, Action? throwIfCanceled = null)
    {
        var (label, classCount) = InputColumns.RequireLabel(data.Schema, options.LabelColumnName, task);
        var first = InputColumns.RequireText(data.Schema, options.Sentence1ColumnName, "text");
        DataViewSchema.Column? second = options.Sentence2ColumnName is null ? null : InputColumns.RequireText(data.Schema, options.Sentence2ColumnName, "second text");

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
            if (++seen % CancellationCheckInterval == 0) throwIfCanceled?.Invoke();
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
        throwIfCanceled?.Invoke();

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

/// <summary>
/// Training rows as the ML.NET layer hands them to fine-tuning: texts (missing text as ""), and per row either a class
/// index in [0, <see cref="OutputCount"/>) or a regression target. Rows whose label was missing are already left out.
/// </summary>
internal sealed class TextTrainingSet
{
    private TextTrainingSet(PredictionTask task, int outputCount, string[] firstTexts, string[]? secondTexts, int[]? classIndices, float[]? targets)
    {
        Task = task;
        OutputCount = outputCount;
        FirstTexts = firstTexts;
        SecondTexts = secondTexts;
        ClassIndices = classIndices;
        Targets = targets;
    }

    public PredictionTask Task { get; }

    /// <summary>Number of classes (from the label's key type, not from the labels seen), or 1 for regression.</summary>
    public int OutputCount { get; }

    public int Count => FirstTexts.Count;

    public IReadOnlyList<string> FirstTexts { get; }

    /// <summary>Null for single-text tasks.</summary>
    public IReadOnlyList<string>? SecondTexts { get; }

    /// <summary>Zero-based class of each row (classification), otherwise null.</summary>
    public IReadOnlyList<int>? ClassIndices { get; }

    /// <summary>Target of each row (regression), otherwise null.</summary>
    public IReadOnlyList<float>? Targets { get; }

    public static TextTrainingSet ForClassification(int classCount, string[] firstTexts, string[]? secondTexts, int[] classIndices)
    {
        CheckRows(firstTexts, secondTexts, classIndices.Length);
        if (classCount < 2) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "Classification needs at least 2 classes.");
        foreach (var index in classIndices)
            if ((uint)index >= (uint)classCount) throw new ArgumentOutOfRangeException(nameof(classIndices), index, $"Class indices must lie in [0, {classCount}).");
        return new TextTrainingSet(PredictionTask.MulticlassClassification, classCount, firstTexts, secondTexts, classIndices, null);
    }

    public static TextTrainingSet ForRegression(string[] firstTexts, string[]? secondTexts, float[] targets)
    {
        CheckRows(firstTexts, secondTexts, targets.Length);
        return new TextTrainingSet(PredictionTask.Regression, 1, firstTexts, secondTexts, null, targets);
    }

    private static void CheckRows(string[] firstTexts, string[]? secondTexts, int labels)
    {
        if (secondTexts is not null && secondTexts.Length != firstTexts.Length)
            throw new ArgumentException($"Expected {firstTexts.Length} second texts, found {secondTexts.Length}.", nameof(secondTexts));
        if (labels != firstTexts.Length)
            throw new ArgumentException($"Expected {firstTexts.Length} labels, found {labels}.");
    }
}
