using System.CommandLine;
using System.Globalization;
using DeltaLoRA.Cli.Data;
using DeltaLoRA.Cli.Output;
using DeltaLoRA.Cli.Training;
using Microsoft.ML;

namespace DeltaLoRA.Cli.Commands;

/// <summary>
/// <c>deltalora predict</c>: a saved model's prediction for each text given on the command line or in a file (one per line).
/// For text-pair models each input holds both texts, separated by a tab or by " ||| ".
/// </summary>
internal static class PredictCommand
{
    public const string PairSeparator = " ||| ";

    public static Command Create(CliTerminal terminal)
    {
        var model = new Option<string>("--model", "-m") { Description = "The model zip written by 'deltalora train'.", Required = true, HelpName = "file" };
        var texts = new Argument<string[]>("texts") { Description = "Texts to classify. For text-pair models: \"first ||| second\" (or tab-separated).", Arity = ArgumentArity.ZeroOrMore };
        var input = new Option<string?>("--input", "-i") { Description = "A file with one text (or tab-separated text pair) per line.", HelpName = "file" };
        var json = new Option<bool>("--json") { Description = "One JSON object per prediction instead of tab-separated lines." };
        var threads = ThreadsOption.Create();
        var command = new Command("predict", "Predict with a saved model: one line per input (predicted label, probability, text).") { model, texts, input, json, threads };
        command.SetAction(result =>
        {
            ThreadsOption.ApplyToScoring(result.GetValue(threads));
            return Run(terminal, result.GetValue(model)!, result.GetValue(texts) ?? [], result.GetValue(input), result.GetValue(json));
        });
        return command;
    }

    private static int Run(CliTerminal terminal, string modelPath, string[] texts, string? inputPath, bool json)
    {
        var lines = new List<string>(texts);
        if (inputPath is not null)
        {
            if (!File.Exists(inputPath)) throw new UserErrorException($"--input: the file '{inputPath}' does not exist.");
            var file = DataFileText.Read(inputPath, "--input");
            if (file.EncodingWarning is { } encoding) terminal.Error.WriteLine($"warning: {encoding}");
            var fileLines = file.Text.Split('\n').Select(line => line.TrimEnd('\r')).ToArray();
            if (fileLines.Length > 0 && fileLines[^1].Length == 0) fileLines = fileLines[..^1]; // the final line break ends a line, not starts one
            var blank = fileLines.Select((line, index) => (line, number: index + 1)).Where(l => string.IsNullOrWhiteSpace(l.line)).Select(l => l.number).ToArray();
            if (blank.Length > 0)
                terminal.Error.WriteLine($"warning: skipped {blank.Length} blank line(s) of '{inputPath}' (first on line {blank[0]}); the other {fileLines.Length - blank.Length} are predicted.");
            lines.AddRange(fileLines.Where(line => !string.IsNullOrWhiteSpace(line)));
        }
        if (lines.Count == 0) throw new UserErrorException("Nothing to predict: give texts as arguments or a file with --input.");

        using var model = SavedModel.Load(new MLContext(seed: 1), modelPath);
        bool pairs = model.Columns.Text2 is not null;
        var inputs = lines.Select(line => pairs ? SplitPair(line) : new TextInput(line)).ToArray();
        foreach (var prediction in model.Predict(inputs))
            terminal.Output.WriteLine(json ? Json(prediction) : Line(prediction));
        return CliApp.Success;
    }

    private static TextInput SplitPair(string line)
    {
        int tab = line.IndexOf('\t');
        if (tab >= 0) return new TextInput(line[..tab], line[(tab + 1)..]);
        int separator = line.IndexOf(PairSeparator, StringComparison.Ordinal);
        if (separator >= 0) return new TextInput(line[..separator], line[(separator + PairSeparator.Length)..]);
        return new TextInput(line);
    }

    /// <summary>One line per prediction, its fields separated by tabs: a tab or a line break inside the text is escaped (\t, \n, \r, and \\ for \).</summary>
    private static string Line(Prediction p)
    {
        var text = Escape(p.Input.Text2 is null ? p.Input.Text1 : p.Input.Text1 + PairSeparator + p.Input.Text2);
        return double.IsNaN(p.Probability)
            ? $"{Escape(p.Predicted)}\t{text}"
            : $"{Escape(p.Predicted)}\t{p.Probability.ToString("0.0000", CultureInfo.InvariantCulture)}\t{text}";
    }

    private static string Escape(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal)
        .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);

    private static string Json(Prediction p)
    {
        var row = new Dictionary<string, object?> { ["text"] = p.Input.Text1 };
        if (p.Input.Text2 is not null) row["text2"] = p.Input.Text2;
        row["predicted"] = p.Predicted;
        if (!double.IsNaN(p.Probability))
        {
            row["probability"] = p.Probability;
            row["probabilities"] = p.ClassProbabilities;
        }
        return JsonLine.Serialize(row);
    }
}
