using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.DeltaLoRA.GpuCheck;

/// <summary>One check's outcome: pass/fail, one line of summary, a table for people and the same rows for machines.</summary>
internal sealed class SectionResult(string name, string title)
{
    public string Name { get; } = name;
    public string Title { get; } = title;
    public bool Passed { get; set; } = true;
    public string Summary { get; set; } = "";
    public List<string> Columns { get; } = [];
    [JsonIgnore] public List<string[]> Rows { get; } = [];
    public List<string> Failures { get; } = [];

    /// <summary>The rows keyed by column, for the JSON report.</summary>
    public List<Dictionary<string, string>> Table => Rows.Select(row => Columns.Zip(row).ToDictionary(p => p.First, p => p.Second)).ToList();

    public void Fail(string why)
    {
        Passed = false;
        Failures.Add(why);
    }
}

/// <summary>The whole run: written as report.md and report.json into the output folder.</summary>
internal sealed class CheckReport
{
    public required string Device { get; init; }
    public required string Machine { get; init; }
    public required DateTime StartedUtc { get; init; }
    public List<SectionResult> Sections { get; } = [];
    public bool Passed => Sections.All(s => s.Passed);

    public void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var json = JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });
        File.WriteAllText(Path.Combine(folder, "report.json"), json);
        File.WriteAllText(Path.Combine(folder, "report.md"), Markdown());
    }

    public string Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine($"# GPU check on {Device}: {(Passed ? "pass" : "FAIL")}").AppendLine();
        text.AppendLine($"{Machine}; started {StartedUtc:yyyy-MM-dd HH:mm} UTC.").AppendLine();
        foreach (var section in Sections)
        {
            text.AppendLine($"## {section.Title}: {(section.Passed ? "pass" : "FAIL")}").AppendLine();
            if (section.Summary.Length > 0) text.AppendLine(section.Summary).AppendLine();
            foreach (var failure in section.Failures) text.AppendLine($"- FAIL: {failure}");
            if (section.Failures.Count > 0) text.AppendLine();
            if (section.Rows.Count == 0) continue;
            text.AppendLine($"| {string.Join(" | ", section.Columns.Select(Cell))} |");
            text.AppendLine($"|{string.Concat(section.Columns.Select(_ => "---|"))}");
            foreach (var row in section.Rows) text.AppendLine($"| {string.Join(" | ", row.Select(Cell))} |");
            text.AppendLine();
        }
        return text.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
