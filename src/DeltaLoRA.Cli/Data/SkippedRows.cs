using System.Globalization;

namespace DeltaLoRA.Cli.Data;

/// <summary>Rows of a data file left out, counted by reason with the first line of each: reported on every run.</summary>
internal sealed class SkippedRows
{
    public const string MissingLabel = "a missing label (empty or NaN)";
    public const string LabelNotANumber = "a label that is not a number";
    public const string UnknownLabel = "a label the model was not trained on";

    private readonly Dictionary<string, (long Count, int FirstLine, string? Example)> _byReason = new(StringComparer.Ordinal);

    public long Count => _byReason.Values.Sum(r => r.Count);

    public long CountOf(string reason) => _byReason.TryGetValue(reason, out var r) ? r.Count : 0;

    public string? ExampleOf(string reason) => _byReason.TryGetValue(reason, out var r) ? r.Example : null;

    public static string TooFewFields(int needed) => $"fewer than {needed} fields";

    public void Add(string reason, int lineNumber, string? example = null)
    {
        var (count, firstLine, firstExample) = _byReason.GetValueOrDefault(reason, (0, lineNumber, example));
        _byReason[reason] = (count + 1, firstLine, firstExample);
    }

    /// <summary>"skipped 3 of 250 rows of 'f.tsv': 2 with a missing label (empty or NaN; first on line 5), 1 with fewer than 3 fields (line 17)".</summary>
    public string Describe(long total, string path)
    {
        var reasons = _byReason.OrderByDescending(r => r.Value.Count).Select(r => string.Create(CultureInfo.InvariantCulture,
            $"{r.Value.Count} with {r.Key}{(r.Value.Example is { } e ? $" such as '{e}'" : "")} ({(r.Value.Count == 1 ? "line" : "first on line")} {r.Value.FirstLine})"));
        return string.Create(CultureInfo.InvariantCulture, $"skipped {Count} of {total} rows of '{path}': {string.Join(", ", reasons)}");
    }
}
