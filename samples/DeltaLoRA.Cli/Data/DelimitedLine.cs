using System.Text;

namespace DeltaLoRA.Cli.Data;

/// <summary>
/// Splits one line of a delimited file into fields, for looking at a file's header and first rows (ML.NET's TextLoader
/// reads the data itself). With quoting, a field may be wrapped in double quotes, and "" inside it is one quote.
/// </summary>
public static class DelimitedLine
{
    public static string[] Split(string line, char separator, bool allowQuoting)
    {
        if (!allowQuoting) return line.Split(separator);
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                bool escapedQuote = c == '"' && i + 1 < line.Length && line[i + 1] == '"';
                if (escapedQuote) i++;
                if (c != '"' || escapedQuote) field.Append(c);
                else quoted = false;
            }
            else if (c == '"' && field.Length == 0) quoted = true;
            else if (c == separator)
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields.ToArray();
    }
}
