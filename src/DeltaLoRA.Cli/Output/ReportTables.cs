using System.Globalization;
using Spectre.Console;

namespace DeltaLoRA.Cli.Output;

/// <summary>Spectre.Console tables of metrics and predictions.</summary>
internal static class ReportTables
{
    public static void WriteEvaluation(IAnsiConsole console, EvaluationReport report, string title)
    {
        var metrics = new Table().Title(Markup.Escape(title)).AddColumn("Metric").AddColumn(new TableColumn("Value").RightAligned());
        foreach (var metric in report.Metrics) metrics.AddRow(Markup.Escape(metric.Name), Number(metric.Value));
        metrics.AddRow("Rows", report.Rows.ToString(CultureInfo.InvariantCulture));
        console.Write(metrics);

        if (report.Classes.Count > 0)
        {
            var classes = new Table().AddColumn("Class").AddColumn(new TableColumn("Precision").RightAligned())
                .AddColumn(new TableColumn("Recall").RightAligned()).AddColumn(new TableColumn("F1").RightAligned())
                .AddColumn(new TableColumn("Rows").RightAligned());
            foreach (var c in report.Classes)
                classes.AddRow(Markup.Escape(c.Name), Number(c.Precision), Number(c.Recall), Number(c.F1), c.Support.ToString(CultureInfo.InvariantCulture));
            console.Write(classes);
        }
        if (report.ConfusionTable is not null) console.WriteLine(report.ConfusionTable.TrimEnd());
    }

    public static string Number(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);

    /// <summary>The first <paramref name="length"/> characters of a text on one line, with an ellipsis when cut.</summary>
    public static string Snippet(string text, int length)
    {
        var line = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return line.Length <= length ? line : line[..(length - 1)] + "…";
    }
}
