namespace DeltaLoRA.Cli.Data;

/// <summary>
/// A delimited data file, read whole: its separator, whether fields may be quoted, its column names (the header's, or
/// col0, col1, … without one) and its records; the first rows are used to resolve and check columns.
/// </summary>
internal sealed class TabularFile
{
    private const int SampleRowCount = 200;

    private TabularFile(string path, char separator, bool hasHeader, IReadOnlyList<string> columnNames, IReadOnlyList<DelimitedRecord> rows,
        string? encodingWarning, string? duplicateColumnsWarning)
    {
        Path = path;
        Separator = separator;
        HasHeader = hasHeader;
        ColumnNames = columnNames;
        Rows = rows;
        SampleRows = rows.Take(SampleRowCount).Select(r => r.Fields).ToArray();
        EncodingWarning = encodingWarning;
        DuplicateColumnsWarning = duplicateColumnsWarning;
    }

    public string Path { get; }
    public char Separator { get; }
    public bool AllowQuoting => SeparatorChoice.AllowsQuoting(Separator);
    public bool HasHeader { get; }
    public IReadOnlyList<string> ColumnNames { get; }

    /// <summary>Every data record (after the header), with the line it starts on.</summary>
    public IReadOnlyList<DelimitedRecord> Rows { get; }

    /// <summary>Up to the first 200 data rows (after the header), split into fields.</summary>
    public IReadOnlyList<string[]> SampleRows { get; }

    /// <summary>Set when the file is not valid UTF-8: which line first has bytes that were read as U+FFFD.</summary>
    public string? EncodingWarning { get; }

    /// <summary>Set when the header names a column more than once: a name finds the first of them.</summary>
    public string? DuplicateColumnsWarning { get; }

    /// <param name="path">The file.</param>
    /// <param name="optionName">The option that named it, for error messages (for example --dataset).</param>
    /// <param name="hasHeader">Whether the first line holds column names.</param>
    /// <param name="separator">The --separator value, or null to decide by extension.</param>
    public static TabularFile Inspect(string path, string optionName, bool hasHeader, string? separator)
    {
        if (Directory.Exists(path))
            throw new UserErrorException($"{optionName} '{path}' is a folder; expected a .tsv or .csv file.");
        if (!File.Exists(path))
            throw new UserErrorException($"{optionName}: the file '{path}' does not exist.");

        var text = DataFileText.Read(path, optionName);
        char sep = SeparatorChoice.Resolve(separator, path, text.Text.Split('\n', 2)[0].TrimEnd('\r'));
        if (SeparatorChoice.AllowsQuoting(sep) && DelimitedRecords.UnclosedQuoteLine(text.Text) is { } quoteLine)
        {
            int lines = 1 + text.Text.AsSpan().TrimEnd('\n').Count('\n');
            throw new UserErrorException(
                $"{optionName} '{path}': the quote on line {quoteLine} is never closed, so lines {quoteLine}–{lines} would be read as one field " +
                "and their records lost. Close the quote, or write a quote inside a field as two (\"\"), as RFC 4180 does.");
        }
        var records = DelimitedRecords.Parse(text.Text, sep, SeparatorChoice.AllowsQuoting(sep));
        if (records.Count == 0) throw new UserErrorException($"{optionName}: the file '{path}' is empty.");

        var first = records[0].Fields;
        var names = hasHeader
            ? first.Select((name, index) => string.IsNullOrWhiteSpace(name) ? HeaderlessName(index) : name.Trim()).ToArray()
            : first.Select((_, index) => HeaderlessName(index)).ToArray();
        var rows = hasHeader ? records.Skip(1).ToArray() : records.ToArray();
        if (rows.Length == 0) throw new UserErrorException($"{optionName}: the file '{path}' has a header but no data rows.");
        var full = System.IO.Path.GetFullPath(path);
        return new TabularFile(full, sep, hasHeader, names, rows, text.EncodingWarning, DuplicateNames(names, full));
    }

    private static string? DuplicateNames(IReadOnlyList<string> names, string path)
    {
        var repeated = names.Select((name, index) => (name, index)).GroupBy(c => c.name, StringComparer.Ordinal).Where(g => g.Count() > 1).ToArray();
        if (repeated.Length == 0) return null;
        var list = string.Join("; ", repeated.Select(g => $"'{g.Key}' (columns {string.Join(", ", g.Select(c => c.index))})"));
        return $"'{path}' names more than one column alike: {list}. A name finds its first column; name another by its 0-based index.";
    }

    /// <summary>The name ML.NET's tools give the columns of a file without a header.</summary>
    public static string HeaderlessName(int index) => $"col{index}";

    /// <summary>"0 'sentence', 1 'label'": the columns as an error message lists them.</summary>
    public string DescribeColumns() => string.Join(", ", ColumnNames.Select((name, index) => $"{index} '{name}'"));

    /// <summary>The sampled values of one column (rows too short for it give an empty string).</summary>
    public IEnumerable<string> SampleValues(int column) => SampleRows.Select(row => column < row.Length ? row[column] : "");
}
