using System.Globalization;

namespace DeltaLoRA.Cli.Data;

/// <summary>
/// Finds the label and text columns of a data file from what the user gave (a column name, or a 0-based index), from the
/// file's header, or from the columns another file was trained with; every failure names the file and lists its columns.
/// </summary>
internal static class ColumnResolver
{
    public const string LabelOption = "--label-col";
    public const string TextOption = "--text-col";
    public const string Text2Option = "--text2-col";

    /// <summary>A column by exact name, else by a unique case-insensitive name, else by 0-based index.</summary>
    public static TabularColumn Resolve(TabularFile file, string given, string optionName)
    {
        var names = file.ColumnNames;
        int exact = IndexOf(names, given, StringComparison.Ordinal);
        if (exact >= 0) return new TabularColumn(exact, names[exact]);
        var caseless = names.Select((name, index) => (name, index)).Where(c => string.Equals(c.name, given, StringComparison.OrdinalIgnoreCase)).ToArray();
        if (caseless.Length == 1) return new TabularColumn(caseless[0].index, caseless[0].name);

        if (int.TryParse(given, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
        {
            if (index < names.Count) return new TabularColumn(index, names[index]);
            throw new UserErrorException(
                $"{optionName} {given}: column index out of range; '{file.Path}' has {names.Count} column(s): {file.DescribeColumns()}.");
        }
        var hint = file.HasHeader ? "" : " The file is read without a header (--has-header false), so its columns are col0, col1, … or 0-based indices.";
        throw new UserErrorException($"{optionName} '{given}': '{file.Path}' has no such column. Its columns are: {file.DescribeColumns()}.{hint}");
    }

    /// <summary>The training file's columns: as given, else the label is the column named 'label' and the text the most text-like other column.</summary>
    public static ColumnLayout ForTraining(TabularFile file, ColumnChoice choice)
    {
        var label = choice.Label is not null ? Resolve(file, choice.Label, LabelOption) : DefaultLabel(file);
        var text2 = choice.Text2 is null ? null : Resolve(file, choice.Text2, Text2Option);
        var text1 = choice.Text1 is not null ? Resolve(file, choice.Text1, TextOption) : MostTextLike(file, label, text2);
        return Checked(new ColumnLayout(label, text1, text2), file);
    }

    /// <summary>
    /// Another file's columns for a model trained on <paramref name="expected"/>: as given, else the expected names when the
    /// file has a header, else the expected positions. The columns keep the expected names, which the model's schema uses.
    /// </summary>
    public static ColumnLayout Like(TabularFile file, ColumnLayout expected, ColumnChoice choice)
    {
        var label = Match(file, expected.Label, choice.Label, LabelOption, "label");
        var text1 = Match(file, expected.Text1, choice.Text1, TextOption, "text");
        var text2 = expected.Text2 is null ? null : Match(file, expected.Text2, choice.Text2, Text2Option, "second text");
        return Checked(new ColumnLayout(label, text1, text2), file);
    }

    private static TabularColumn Match(TabularFile file, TabularColumn expected, string? given, string optionName, string role)
    {
        if (given is not null) return Resolve(file, given, optionName) with { Name = expected.Name };
        if (file.HasHeader)
        {
            int byName = IndexOf(file.ColumnNames, expected.Name, StringComparison.Ordinal);
            if (byName < 0)
                throw new UserErrorException(
                    $"'{file.Path}' has no column '{expected.Name}' (the model's {role} column). Its columns are: {file.DescribeColumns()}. " +
                    $"Name the {role} column with {optionName}.");
            return new TabularColumn(byName, expected.Name);
        }
        int index = expected.Index >= 0 ? expected.Index : HeaderlessIndex(expected.Name);
        if (index < 0 || index >= file.ColumnNames.Count)
            throw new UserErrorException(
                $"'{file.Path}' (read without a header) has {file.ColumnNames.Count} column(s), and the model's {role} column '{expected.Name}' " +
                $"is not one of them. Name the {role} column with {optionName} (a 0-based index).");
        return new TabularColumn(index, expected.Name);
    }

    private static TabularColumn DefaultLabel(TabularFile file)
    {
        int index = IndexOf(file.ColumnNames, "label", StringComparison.OrdinalIgnoreCase);
        if (index >= 0) return new TabularColumn(index, file.ColumnNames[index]);
        throw new UserErrorException(
            $"Which column is the label? '{file.Path}' has no column named 'label'; give {LabelOption} (a name or 0-based index). " +
            $"Its columns are: {file.DescribeColumns()}.");
    }

    /// <summary>The text column when none is given: of the other columns, the one whose sampled values are longest on average.</summary>
    private static TabularColumn MostTextLike(TabularFile file, TabularColumn label, TabularColumn? text2)
    {
        var candidates = Enumerable.Range(0, file.ColumnNames.Count).Where(i => i != label.Index && i != text2?.Index).ToArray();
        if (candidates.Length == 0)
            throw new UserErrorException($"'{file.Path}' has no column left for the text besides the label; its columns are: {file.DescribeColumns()}.");
        int best = candidates.MaxBy(i => file.SampleValues(i).Average(value => (double)value.Length));
        return new TabularColumn(best, file.ColumnNames[best]);
    }

    private static ColumnLayout Checked(ColumnLayout layout, TabularFile file)
    {
        void RequireDistinct(TabularColumn? a, string aOption, TabularColumn? b, string bOption)
        {
            if (a is not null && b is not null && a.Index == b.Index)
                throw new UserErrorException($"{aOption} and {bOption} both name column {a.Index} '{file.ColumnNames[a.Index]}' of '{file.Path}'; they must differ.");
        }
        RequireDistinct(layout.Label, LabelOption, layout.Text1, TextOption);
        RequireDistinct(layout.Label, LabelOption, layout.Text2, Text2Option);
        RequireDistinct(layout.Text1, TextOption, layout.Text2, Text2Option);
        return layout;
    }

    private static int HeaderlessIndex(string name)
        => name.StartsWith("col", StringComparison.Ordinal) && int.TryParse(name.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            ? index : -1;

    private static int IndexOf(IReadOnlyList<string> names, string name, StringComparison comparison)
    {
        for (int i = 0; i < names.Count; i++) if (string.Equals(names[i], name, comparison)) return i;
        return -1;
    }
}
