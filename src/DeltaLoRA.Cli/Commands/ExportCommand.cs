using System.CommandLine;
using DeltaLoRA.Cli.Training;
using Microsoft.ML;

namespace DeltaLoRA.Cli.Commands;

/// <summary>
/// <c>deltalora export --model m.zip --format F --out PATH</c>: writes a saved model in another format (<see cref="ExportFormats"/>).
/// One set of errors for every format: an unknown format, an existing --out and a bad --model are refused before anything is
/// written, and a format writes its output whole or not at all. Prints the output's full path as its last line.
/// </summary>
internal static class ExportCommand
{
    public static Command Create(CliTerminal terminal)
    {
        var model = new Option<string>("--model", "-m") { Description = "The model zip written by 'deltalora train'.", Required = true, HelpName = "file" };
        var format = new Option<string>("--format", "-f")
        {
            Description = "What to write: " + string.Join("; ", ExportFormats.All.Select(f => $"{f.Name}: {f.Description}")) + ".",
            Required = true,
            HelpName = ExportFormats.Names.Replace(", ", "|", StringComparison.Ordinal),
        };
        var output = new Option<string>("--out", "-o") { Description = "Where to write; it must not exist yet.", Required = true, HelpName = "path" };
        var command = new Command("export", "Write a saved model in another format, for other libraries to load.") { model, format, output };
        command.SetAction(result => Run(terminal, result.GetValue(model)!, result.GetValue(format)!, result.GetValue(output)!));
        return command;
    }

    private static int Run(CliTerminal terminal, string modelPath, string formatName, string outPath)
    {
        var format = ExportFormats.Find(formatName)
            ?? throw new UserErrorException($"--format: unknown format '{formatName}'; expected one of {ExportFormats.Names}.");
        if (Directory.Exists(outPath) || File.Exists(outPath))
            throw new UserErrorException($"--out '{outPath}' exists already; give a new path (an export never writes over files).");
        using var model = SavedModel.Load(new MLContext(seed: 1), modelPath);
        terminal.Error.WriteLine(format.Write(model, outPath));
        terminal.Output.WriteLine(Path.GetFullPath(outPath));
        return CliApp.Success;
    }
}
