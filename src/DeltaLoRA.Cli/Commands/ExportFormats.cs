using System.Globalization;
using DeltaLoRA.Cli.Training;
using Microsoft.ML;
using Microsoft.ML.DeltaLoRA;
using Microsoft.ML.DeltaLoRA.Export;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;

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
        new("peft", "a Hugging Face PEFT LoRA adapter folder for the model's base (adapter_config.json, adapter_model.safetensors, README.md); LoRA and Delta-LoRA models saved with their fine-tune delta", Peft),
        new("mlnet-onnx", "an ML.NET model zip that scores with ONNX Runtime (MLContext.Model.Load reads it; no TorchSharp native library needed)", MLNetOnnxRuntime),
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

    private static string Peft(SavedModel model, string folder)
    {
        var (delta, baseModel) = SavedFineTune(model) ?? throw new UserErrorException(
            "--format peft: this model zip holds the fine-tuned network only, not what the fine-tune changed in its base; a LoRA or Delta-LoRA model " +
            "saved with its delta carries that (a full fine-tune has none). Export this model with --format hf.");
        try
        {
            PeftAdapterExport.Write(model.Scorer, delta, baseModel, folder);
        }
        catch (NotSupportedException unsupported) // a head transformers cannot compute (mean pooling): the user's choice of model, not a bug
        {
            throw new UserErrorException(unsupported.Message);
        }
        return "Wrote a PEFT LoRA adapter (adapter_config.json, adapter_model.safetensors); the folder's README.md shows how PeftModel.from_pretrained applies it to its base.";
    }

    /// <summary>
    /// The fine-tune's delta and its base model (a name or a folder), as LoRA and Delta-LoRA zips store them, full or compact;
    /// null for a full fine-tune, a zip saved before deltas were recorded, or a model scored by ONNX Runtime.
    /// </summary>
    private static (FineTuneDelta Delta, string BaseModel)? SavedFineTune(SavedModel model)
    {
        var network = (model.Scorer.Scorer.Engine as TorchSharpScoringEngine)?.Model;
        if (network?.Delta is null || network.BaseModel is null) return null;
        return (network.Delta, network.BaseModel.Name ?? network.BaseModel.Folder!);
    }

    private static string MLNetOnnxRuntime(SavedModel model, string path)
    {
        var ml = new MLContext(seed: 1);
        ITransformer scoredByOnnxRuntime;
        try
        {
            scoredByOnnxRuntime = ml.Model.WithOnnxRuntimeScoring(model.Transformer);
        }
        catch (NotSupportedException unsupported) // a network with no ONNX graph writer (USE-Lite): the user's choice of model, not a bug
        {
            throw new UserErrorException(unsupported.Message);
        }
        try
        {
            ml.Model.SaveAtomically(scoredByOnnxRuntime, model.InputSchema, path);
        }
        finally
        {
            DisposeScorers(scoredByOnnxRuntime);
        }
        return "Wrote an ML.NET model zip that scores with ONNX Runtime: MLContext.Model.Load reads it, and an app that references Microsoft.ML.DeltaLoRA without a TorchSharp native backend scores it.";
    }

    /// <summary>The ONNX Runtime sessions of the converted model; its other steps are the loaded model's, which disposes them.</summary>
    private static void DisposeScorers(ITransformer model)
    {
        if (model is Microsoft.ML.DeltaLoRA.MLNet.DeltaLoRATransformer scorer) scorer.Dispose();
        else if (model is IEnumerable<ITransformer> chain) foreach (var step in chain) DisposeScorers(step);
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
