using DeltaLoRA.Cli.Training;
using Spectre.Console;

namespace DeltaLoRA.Cli.Output;

/// <summary>Predictions as a table: text snippet, true label (when known), predicted label and its probability.</summary>
internal static class PredictionTable
{
    private const int SnippetLength = 70;

    public static void Write(IAnsiConsole console, IReadOnlyList<Prediction> predictions, string title)
    {
        bool pairs = predictions.Any(p => p.Input.Text2 is not null);
        bool classification = predictions.Any(p => !double.IsNaN(p.Probability));
        var table = new Table().Title(Markup.Escape(title)).AddColumn("Text");
        if (pairs) table.AddColumn("Second text");
        table.AddColumn("True").AddColumn("Predicted");
        if (classification) table.AddColumn(new TableColumn("Probability").RightAligned());
        foreach (var p in predictions)
        {
            var cells = new List<string> { Markup.Escape(ReportTables.Snippet(p.Input.Text1, SnippetLength)) };
            if (pairs) cells.Add(Markup.Escape(ReportTables.Snippet(p.Input.Text2 ?? "", SnippetLength)));
            bool correct = p.Input.TrueLabel == p.Predicted;
            cells.Add(Markup.Escape(p.Input.TrueLabel ?? ""));
            cells.Add(p.Input.TrueLabel is null || !classification ? Markup.Escape(p.Predicted) : $"[{(correct ? "green" : "red")}]{Markup.Escape(p.Predicted)}[/]");
            if (classification) cells.Add(ReportTables.Number(p.Probability));
            table.AddRow(cells.ToArray());
        }
        console.Write(table);
    }
}
