using System.Globalization;
using DeltaLoRA.Cli.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DeltaLoRA.Cli.Data;

/// <summary>The usable rows of a data file as an ML.NET data view, and the rows left out with why.</summary>
internal sealed record TabularRows(IDataView Data, long Count, SkippedRows Skipped, long Total);

/// <summary>
/// Turns a file's records into the data view a model reads: the label (text for classification, Single for regression) and
/// the text column(s). Rows without a usable label are left out and counted (<see cref="SkippedRows"/>): too few fields, an
/// empty or "NaN" label, a regression label that is not a number, or (evaluation) a class the model does not know.
/// </summary>
internal static class TabularData
{
    public static TabularRows Load(MLContext ml, TabularFile file, ColumnLayout layout, TaskKind task, IReadOnlySet<string>? knownLabels = null)
    {
        int needed = layout.All.Max(c => c.Index) + 1;
        var skipped = new SkippedRows();
        var textRows = new List<TextLabelRow>();
        var numberRows = new List<NumberLabelRow>();
        foreach (var record in file.Rows)
        {
            var fields = record.Fields;
            if (fields.Length < needed)
            {
                skipped.Add(SkippedRows.TooFewFields(needed), record.LineNumber);
                continue;
            }
            var label = fields[layout.Label.Index];
            var text1 = fields[layout.Text1.Index];
            var text2 = layout.Text2 is { } second ? fields[second.Index] : "";
            if (string.IsNullOrWhiteSpace(label) || label.Trim().Equals("NaN", StringComparison.OrdinalIgnoreCase))
                skipped.Add(SkippedRows.MissingLabel, record.LineNumber);
            else if (task == TaskKind.Regression)
            {
                if (float.TryParse(label, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && float.IsFinite(value))
                    numberRows.Add(new NumberLabelRow { Label = value, Text1 = text1, Text2 = text2 });
                else skipped.Add(SkippedRows.LabelNotANumber, record.LineNumber, label);
            }
            else if (knownLabels is not null && !knownLabels.Contains(label))
                skipped.Add(SkippedRows.UnknownLabel, record.LineNumber, label);
            else textRows.Add(new TextLabelRow { Label = label, Text1 = text1, Text2 = text2 });
        }

        var definition = SchemaDefinition.Create(task == TaskKind.Regression ? typeof(NumberLabelRow) : typeof(TextLabelRow));
        definition[nameof(TextLabelRow.Label)].ColumnName = layout.Label.Name;
        definition[nameof(TextLabelRow.Text1)].ColumnName = layout.Text1.Name;
        if (layout.Text2 is null) definition.RemoveAll(c => c.MemberName == nameof(TextLabelRow.Text2));
        else definition[nameof(TextLabelRow.Text2)].ColumnName = layout.Text2.Name;
        var data = task == TaskKind.Regression
            ? ml.Data.LoadFromEnumerable(numberRows, definition)
            : ml.Data.LoadFromEnumerable(textRows, definition);
        return new TabularRows(data, task == TaskKind.Regression ? numberRows.Count : textRows.Count, skipped, file.Rows.Count);
    }

    /// <summary>
    /// Fails when no row of <paramref name="file"/> is usable, saying why; otherwise returns the notes to show: the rows left
    /// out and an encoding problem, if any.
    /// </summary>
    public static IReadOnlyList<string> RequireRows(TabularRows rows, TabularFile file, string optionName, ColumnLayout layout, TaskKind task)
    {
        if (rows.Count == 0)
        {
            if (task == TaskKind.Regression && rows.Skipped.CountOf(SkippedRows.LabelNotANumber) > 0)
                throw new UserErrorException(
                    $"The label column '{layout.Label.Name}' of '{file.Path}' has no numbers (for example '{rows.Skipped.ExampleOf(SkippedRows.LabelNotANumber)}'); --task regression needs numeric labels. " +
                    "Use --task classification for classes, or name the label with --label-col.");
            throw new UserErrorException($"{optionName} '{file.Path}' has no usable rows: {rows.Skipped.Describe(rows.Total, file.Path)}.");
        }
        var notes = new List<string>();
        if (file.EncodingWarning is { } encoding) notes.Add(encoding);
        if (file.DuplicateColumnsWarning is { } duplicates) notes.Add(duplicates);
        if (rows.Skipped.Count > 0) notes.Add(rows.Skipped.Describe(rows.Total, file.Path));
        return notes;
    }

    private sealed class TextLabelRow
    {
        public string Label { get; set; } = "";
        public string Text1 { get; set; } = "";
        public string Text2 { get; set; } = "";
    }

    private sealed class NumberLabelRow
    {
        public float Label { get; set; }
        public string Text1 { get; set; } = "";
        public string Text2 { get; set; } = "";
    }
}
