using System.CommandLine;
using DeltaLoRA.Cli.Data;
using DeltaLoRA.Cli.Output;
using DeltaLoRA.Cli.Training;
using Microsoft.ML;
using Spectre.Console;

namespace DeltaLoRA.Cli.Commands;

/// <summary><c>deltalora evaluate</c>: ML.NET metrics of a saved model on a data file.</summary>
internal static class EvaluateCommand
{
    public static Command Create(CliTerminal terminal)
    {
        var model = new Option<string>("--model", "-m") { Description = "The model zip written by 'deltalora train'.", Required = true, HelpName = "file" };
        var dataset = new Option<string>("--dataset", "-d") { Description = "Labelled data (.tsv or .csv). Columns are found by the names the model was trained with, unless given.", Required = true, HelpName = "file" };
        var data = new DataOptions();
        var json = new Option<bool>("--json") { Description = "Print a final JSON line with the metrics on standard output (the report goes to standard error)." };
        var threads = ThreadsOption.Create();
        var command = new Command("evaluate", "Evaluate a saved model on a labelled data file.") { model, dataset };
        data.AddTo(command);
        command.Add(json);
        command.Add(threads);
        command.SetAction(result =>
        {
            ThreadsOption.ApplyToScoring(result.GetValue(threads));
            return Run(terminal, result.GetValue(model)!, result.GetValue(dataset)!, data.Columns(result),
                result.GetValue(data.HasHeader), result.GetValue(data.Separator), result.GetValue(json));
        });
        return command;
    }

    private static int Run(CliTerminal terminal, string modelPath, string datasetPath, ColumnChoice choice, bool hasHeader, string? separator, bool json)
    {
        var console = terminal.CreateConsole(json ? terminal.Error : terminal.Output);
        var ml = new MLContext(seed: 1);
        using var model = SavedModel.Load(ml, modelPath);
        var file = TabularFile.Inspect(datasetPath, "--dataset", hasHeader, separator);
        var columns = ColumnResolver.Like(file, model.Columns, choice);
        var rows = TabularData.Load(ml, file, columns, model.Task, model.Task == TaskKind.Classification ? model.ClassNames.ToHashSet(StringComparer.Ordinal) : null);
        var notes = TabularData.RequireRows(rows, file, "--dataset", columns, model.Task);
        var scored = model.Transformer.Transform(rows.Data);
        var report = EvaluationReport.Evaluate(ml, scored, columns.Label.Name, model.Scorer.ScoreColumnName, model.Task);

        console.Write(new Rule("deltalora evaluate").LeftJustified());
        console.WriteLine($"Model: {Path.GetFullPath(modelPath)}");
        console.WriteLine($"Data:  {file.Path}: label '{file.ColumnNames[columns.Label.Index]}', text '{file.ColumnNames[columns.Text1.Index]}'" +
            (columns.Text2 is null ? "" : $", second text '{file.ColumnNames[columns.Text2.Index]}'"));
        foreach (var note in notes) terminal.Error.WriteLine($"warning: {note}");
        ReportTables.WriteEvaluation(console, report, "Metrics");
        if (json)
        {
            terminal.Output.WriteLine(JsonLine.Serialize(new Dictionary<string, object?>
            {
                ["command"] = "evaluate",
                ["task"] = model.Task.ToString().ToLowerInvariant(),
                ["model"] = Path.GetFullPath(modelPath),
                ["dataset"] = file.Path,
                ["metrics"] = report.ToJson(),
                ["skipped_rows"] = rows.Skipped.Count,
            }));
        }
        return CliApp.Success;
    }
}
