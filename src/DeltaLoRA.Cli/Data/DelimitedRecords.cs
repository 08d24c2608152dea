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

    /// <summary>
    /// The line of a quote that is never closed, or null. An RFC 4180 reader (Sep) reads from an unclosed quote to the end of
    /// the text as one field, so every record after it would be lost without a word. Quotes open and close anywhere in a
    /// field, as Sep reads them; inside quotes a doubled quote ("") is a quote character.
    /// </summary>
    public static int? UnclosedQuoteLine(string text)
    {
        int opening = -1;
        for (int i = text.IndexOf('"'); i >= 0; i = text.IndexOf('"', i + 1))
        {
            if (opening < 0) opening = i;
            else if (i + 1 < text.Length && text[i + 1] == '"') i++;
            else opening = -1;
        }
        return opening < 0 ? null : 1 + text.AsSpan(0, opening).Count('\n');
    }
}
