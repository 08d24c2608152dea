using nietras.SeparatedValues;

namespace DeltaLoRA.Bench.Reporting;

/// <summary>The study's CSV files: written RFC 4180 style (fields with a comma, quote or line break quoted, quotes doubled), read with Sep.</summary>
internal static class Csv
{
    public static string Line(IEnumerable<string> fields) => string.Join(',', fields.Select(Quote));

    public static string Quote(string field)
        => field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>
    /// The data rows of a CSV file that starts with <paramref name="header"/>, with their line numbers; a missing or empty file
    /// is created with the header and has no rows. Every row has as many fields as the header, or this throws naming the line.
    /// <paramref name="kind"/> names the file in the error for another header.
    /// </summary>
    public static IEnumerable<(string[] Fields, int LineNumber)> ReadOrCreate(string path, string[] header, string kind)
    {
        if (!File.Exists(path) || new FileInfo(path).Length == 0)
        {
            File.WriteAllText(path, Line(header) + "\n");
            yield break;
        }
        using var reader = Sep.New(',').Reader(o => o with { HasHeader = false, DisableColCountCheck = true, Unescape = true }).FromFile(path);
        bool atHeader = true;
        foreach (var row in reader)
        {
            var fields = new string[row.ColCount];
            for (int i = 0; i < fields.Length; i++) fields[i] = row[i].ToString();
            if (fields is [""]) continue;
            if (atHeader)
            {
                if (!fields.SequenceEqual(header))
                    throw new InvalidDataException($"'{path}' is not a study {kind} file: its header is '{Line(fields)}', expected '{Line(header)}'. Use another --out folder.");
                atHeader = false;
                continue;
            }
            if (fields.Length != header.Length)
                throw new InvalidDataException($"'{path}' line {row.LineNumberFrom}: expected {header.Length} fields, found {fields.Length}.");
            yield return (fields, row.LineNumberFrom);
        }
    }
}
