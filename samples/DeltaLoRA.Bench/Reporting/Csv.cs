using System.Text;

namespace DeltaLoRA.Bench.Reporting;

/// <summary>RFC 4180 CSV: fields with a comma, quote or line break are quoted, quotes doubled. Enough for the study's own files.</summary>
public static class Csv
{
    public static string Line(IEnumerable<string> fields) => string.Join(',', fields.Select(Quote));

    public static string Quote(string field)
        => field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Splits one line (records in the study's files never span lines).</summary>
    public static string[] Split(string line, string source, int lineNumber)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else quoted = false;
            }
            else if (c == '"' && field.Length == 0) quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        if (quoted) throw new InvalidDataException($"'{source}' line {lineNumber}: a quoted field is not closed.");
        fields.Add(field.ToString());
        return fields.ToArray();
    }

    /// <summary>
    /// The data rows of a CSV file that starts with <paramref name="header"/>, with their line numbers; a missing or empty file
    /// is created with the header and has no rows. <paramref name="kind"/> names the file in the error for another header.
    /// </summary>
    public static IEnumerable<(string[] Fields, int LineNumber)> ReadOrCreate(string path, string[] header, string kind)
    {
        if (!File.Exists(path) || new FileInfo(path).Length == 0)
        {
            File.WriteAllText(path, Line(header) + "\n");
            yield break;
        }
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            var fields = Split(line, path, lineNumber);
            if (lineNumber == 1)
            {
                if (!fields.SequenceEqual(header))
                    throw new InvalidDataException($"'{path}' is not a study {kind} file: its header is '{line}', expected '{Line(header)}'. Use another --out folder.");
                continue;
            }
            yield return (fields, lineNumber);
        }
    }
}
