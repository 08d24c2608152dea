using System.Globalization;
using System.Text.RegularExpressions;

namespace DeltaLoRA.Cli.Training;

/// <summary>
/// Classes whose names differ only in whitespace, letter case or how a number is written ("pos", "pos " and "Pos"; "1" and
/// "1.0"). Labels are compared exactly, as ML.NET's MapValueToKey does, so these are different classes; they are most often
/// one class written carelessly, which splits its rows and its probability between names, so the user hears of them.
/// </summary>
internal static partial class NearDuplicateLabels
{
    /// <summary>One warning per group of near-duplicate class names of <paramref name="source"/>, naming them.</summary>
    public static IReadOnlyList<string> Find(IEnumerable<string> classNames, string source)
        => classNames.GroupBy(Canonical, StringComparer.Ordinal).Where(g => g.Count() > 1)
            .Select(g => $"the labels {string.Join(", ", g.Select(Quoted))} of {source} differ only in whitespace, letter case or how a number " +
                $"is written, and are {g.Count()} different classes (labels are compared exactly); write them alike in the file if they are one class.")
            .ToArray();

    /// <summary>The label with runs of whitespace made one space and trimmed, then a number in one form, else in upper case.</summary>
    private static string Canonical(string label)
    {
        var text = Whitespace().Replace(label, " ").Trim();
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? "number " + number.ToString("R", CultureInfo.InvariantCulture)
            : "text " + text.ToUpperInvariant();
    }

    /// <summary>The label in quotes with its whitespace visible: tabs and line breaks escaped.</summary>
    private static string Quoted(string label)
        => $"'{label.Replace("\t", "\\t", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}'";

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
