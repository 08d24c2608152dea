using nietras.SeparatedValues;

namespace DeltaLoRA.Cli.Data;

/// <summary>One record of a delimited file: its fields and the line it starts on (1-based; a quoted field may span lines).</summary>
internal sealed record DelimitedRecord(int LineNumber, string[] Fields);

/// <summary>
/// Splits delimited text into records with Sep, an RFC 4180 reader: with quoting, a quoted field may hold the separator,
/// doubled quotes and line breaks. Without quoting (tab-separated files such as GLUE's, where quotes are ordinary characters)
/// every line is a record. Empty lines are skipped; records may have different field counts.
/// </summary>
internal static class DelimitedRecords
{
    public static IReadOnlyList<DelimitedRecord> Parse(string text, char separator, bool allowQuoting)
    {
        var records = new List<DelimitedRecord>();
        using var reader = Sep.New(separator)
            .Reader(o => o with { HasHeader = false, DisableColCountCheck = true, DisableQuotesParsing = !allowQuoting, Unescape = allowQuoting })
            .FromText(text);
        foreach (var row in reader)
        {
            if (row.ColCount == 1 && row[0].Span.IsEmpty) continue;
            var fields = new string[row.ColCount];
            for (int i = 0; i < fields.Length; i++) fields[i] = row[i].ToString();
            records.Add(new DelimitedRecord(row.LineNumberFrom, fields));
        }
        return records;
    }
}
