namespace DeltaLoRA.Cli.Data;

/// <summary>
/// What a delimited data file looks like before ML.NET reads it: its separator, whether fields may be quoted, its column
/// names (the header's, or col0, col1, … without one) and its first rows, used to resolve and check columns.
/// </summary>
public sealed class TabularFile
{
    private const int SampleRowCount = 200;

    private TabularFile(string path, char separator, bool hasHeader, IReadOnlyList<string> columnNames, IReadOnlyList<string[]> sampleRows)
    {
        Path = path;
        Separator = separator;
        HasHeader = hasHeader;
        ColumnNames = columnNames;
        SampleRows = sampleRows;
    }

    public string Path { get; }
    public char Separator { get; }
    public bool AllowQuoting => SeparatorChoice.AllowsQuoting(Separator);
    public bool HasHeader { get; }
    public IReadOnlyList<string> ColumnNames { get; }

    /// <summary>Up to the first 200 data rows (after the header), split into fields.</summary>
    public IReadOnlyList<string[]> SampleRows { get; }

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

        var lines = File.ReadLines(path).Where(line => line.Length > 0).Take(SampleRowCount + 1).ToList();
        if (lines.Count == 0) throw new UserErrorException($"{optionName}: the file '{path}' is empty.");
        char sep = SeparatorChoice.Resolve(separator, path, lines[0]);
        bool quoting = SeparatorChoice.AllowsQuoting(sep);
        var rows = lines.Select(line => DelimitedLine.Split(line, sep, quoting)).ToList();

        var first = rows[0];
        var names = hasHeader
            ? first.Select((name, index) => string.IsNullOrWhiteSpace(name) ? HeaderlessName(index) : name.Trim()).ToArray()
            : first.Select((_, index) => HeaderlessName(index)).ToArray();
        var sample = hasHeader ? rows.Skip(1).ToArray() : rows.Take(SampleRowCount).ToArray();
        if (sample.Length == 0) throw new UserErrorException($"{optionName}: the file '{path}' has a header but no data rows.");
        return new TabularFile(System.IO.Path.GetFullPath(path), sep, hasHeader, names, sample);
    }

    /// <summary>The name ML.NET's tools give the columns of a file without a header.</summary>
    public static string HeaderlessName(int index) => $"col{index}";

    /// <summary>"0 'sentence', 1 'label'": the columns as an error message lists them.</summary>
    public string DescribeColumns() => string.Join(", ", ColumnNames.Select((name, index) => $"{index} '{name}'"));

    /// <summary>The sampled values of one column (rows too short for it give an empty string).</summary>
    public IEnumerable<string> SampleValues(int column) => SampleRows.Select(row => column < row.Length ? row[column] : "");
}
