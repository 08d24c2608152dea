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
}
