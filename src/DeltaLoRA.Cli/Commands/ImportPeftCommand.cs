using System.CommandLine;
using DeltaLoRA.Cli.Training;
using Microsoft.ML;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;

namespace DeltaLoRA.Cli.Commands;

/// <summary>
/// <c>deltalora import-peft --adapter DIR [--base MODEL] [--labels a,b,c] --out m.zip</c>: a Hugging Face PEFT LoRA adapter and
/// its base as a model zip that evaluate and predict read, nothing trained (<see cref="PeftAdapterPipeline"/>). To fine-tune
/// further, train takes the adapter folder as --model. Prints the zip's full path as its last line.
/// </summary>
internal static class ImportPeftCommand
{
    public static Command Create(CliTerminal terminal)
    {
        var adapter = new Option<string>("--adapter", "-a") { Description = "The PEFT adapter folder (adapter_config.json, adapter_model.safetensors).", Required = true, HelpName = "folder" };
        var baseModel = new Option<string?>("--base")
        {
            Description = "The base model the adapter was trained on: a folder or a model name. Default: the adapter's base_model_name_or_path.",
            HelpName = "name|folder",
        };
        var labels = new Option<string?>("--labels") { Description = "The class names of the head's outputs, in order, comma-separated. Default: LABEL_0, LABEL_1, ...", HelpName = "a,b,..." };
        var textColumn = new Option<string>("--text-col") { Description = "The name of the text column the model reads.", DefaultValueFactory = _ => "text" };
        var labelColumn = new Option<string>("--label-col") { Description = "The name of the label column (evaluate reads it).", DefaultValueFactory = _ => "label" };
        var maxLength = new Option<int?>("--max-length") { Description = "Longest input in tokens; longer texts are truncated. Default 128, or the base model's limit when lower." };
        var output = new Option<string>("--out", "-o") { Description = "The model zip to write.", Required = true, HelpName = "file" };
        var command = new Command("import-peft", "Turn a Hugging Face PEFT LoRA adapter and its base into a model zip for evaluate and predict.")
        {
            adapter, baseModel, labels, textColumn, labelColumn, maxLength, output,
        };
        command.SetAction(result =>
        {
            var folder = result.GetValue(adapter)!;
            if (!PeftNames.IsAdapterFolder(folder))
                throw new UserErrorException($"--adapter '{folder}' is not a PEFT adapter folder: it has no {PeftAdapterConfig.FileName}.");
            var path = OutFile.FullPath(result.GetValue(output)!);
            var classNames = result.GetValue(labels)?.Split(',', StringSplitOptions.TrimEntries);
            var ml = new MLContext(seed: 1);
            var (model, schema) = PeftAdapterPipeline.Create(ml, folder, result.GetValue(baseModel), classNames,
                result.GetValue(textColumn)!, result.GetValue(labelColumn)!, result.GetValue(maxLength));
            using (model as IDisposable)
                ml.Model.SaveAtomically(model, schema, path);
            terminal.Output.WriteLine(path);
            return CliApp.Success;
        });
        return command;
    }
}
