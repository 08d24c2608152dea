using System.Globalization;
using DeltaLoRA.Cli.Training;
using Microsoft.ML;
using Microsoft.ML.DeltaLoRA;
using Microsoft.ML.DeltaLoRA.Export;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace DeltaLoRA.Cli.Commands;

/// <summary>
/// One format <c>deltalora export</c> writes: its <c>--format</c> name, a description for the help, and the writer, which
/// creates the output folder or file whole (or not at all) and returns a line saying what it wrote.
/// </summary>
internal sealed record ExportFormat(string Name, string Description, Func<SavedModel, string, string> Write);

/// <summary>The formats of <c>deltalora export</c>; a new format is one more entry here.</summary>
internal static class ExportFormats
{
    public static IReadOnlyList<ExportFormat> All { get; } =
    [
        new("hf", "a Hugging Face transformers folder (config.json, model.safetensors, tokenizer files, README.md)", HuggingFace),
        new("onnx", "an ONNX folder (model.onnx, tokenizer files, labels.json, README.md with a C# scoring snippet)", Onnx),
        new("compact", "a compact model zip (the base model by name or folder and SHA-256, the low-rank delta and the head; loads like the full zip where the base is)", Compact),
    ];

    public static ExportFormat? Find(string name) => All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));

    public static string Names => string.Join(", ", All.Select(f => f.Name));

    private static string HuggingFace(SavedModel model, string folder)
        => HuggingFaceExport.Write(model.Scorer, folder) == HuggingFaceLayout.SequenceClassification
            ? "Wrote a transformers ...ForSequenceClassification folder (AutoModelForSequenceClassification.from_pretrained loads it)."
            : "Wrote the encoder as a transformers BertModel and the head apart: transformers has no class for this model's pooling; the folder's README.md shows how to apply it.";

    private static string Onnx(SavedModel model, string folder)
    {
        try
        {
            OnnxFolderExport.Write(model.Scorer, folder);
        }
        catch (NotSupportedException unsupported) // a network with no ONNX graph writer (USE-Lite): the user's choice of model, not a bug
        {
            throw new UserErrorException(unsupported.Message);
        }
        return "Wrote an ONNX model (model.onnx) with its tokenizer files and labels.json; the folder's README.md shows how to score it with ONNX Runtime.";
    }

    private static string Compact(SavedModel model, string path)
    {
        var engine = model.Scorer.Scorer.Engine as TorchSharpScoringEngine;
        if (engine is null || !engine.Model.CanSaveCompact)
            throw new UserErrorException(
                "--format compact: this model records no low-rank delta (it was fully fine-tuned, which changes every weight, or saved by a version " +
                "without compact models), so it has no compact form; ship the full zip.");
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder)) throw new UserErrorException($"--out '{path}': the folder '{folder}' does not exist.");
        engine.SaveMode = ModelSaveMode.Compact;
        new MLContext(seed: 1).Model.SaveAtomically(model.Transformer, model.InputSchema, path);
        var delta = engine.Model.Delta!;
        int rank = delta.AdaptedWeights.Count == 0 ? 0 : delta.AdaptedWeights.Max(w => w.Rank);
        return string.Create(CultureInfo.InvariantCulture,
            $"Wrote a compact model zip ({new FileInfo(path).Length / 1e6:0.###} MB): {engine.Model.BaseModel!.Description} by reference (SHA-256 checked on load) plus a rank-{rank} delta of {delta.AdaptedWeights.Count} weights and {delta.OtherTrainedTensors.Count} other trained tensors; loading needs that base model.");
    }
}
