using Google.Protobuf;
using Microsoft.ML.DeltaLoRA.Export;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace Microsoft.ML;

/// <summary>
/// Saving a model whole or not at all. <c>MLContext.Model.Save(model, schema, path)</c> creates the file first and writes into
/// it, so a failure part-way (a full disk, a model that cannot be saved) leaves a truncated zip at <c>path</c>;
/// <see cref="SaveAtomically"/> writes a temporary file beside it and moves it into place only once the save succeeded.
/// <see cref="SaveAsOnnx(DeltaLoRATransformer, Stream)"/> writes the fine-tuned model as an ONNX graph, which
/// <c>mlContext.Model.ConvertToOnnx</c> cannot do for these models (docs/onnx.md).
/// </summary>
public static class ModelSavingExtensions
{
    /// <summary>
    /// Saves like <c>Save(model, inputSchema, filePath)</c>; on failure <paramref name="filePath"/> is left as it was. The temporary
    /// file (<c>.name.&lt;guid&gt;.tmp</c>) is held exclusively while written; those that a killed process left behind (no
    /// longer held by anyone) are deleted first.
    /// </summary>
    public static void SaveAtomically(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema inputSchema, string filePath)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrEmpty(filePath);
        var fullPath = Path.GetFullPath(filePath);
        var directory = Path.GetDirectoryName(fullPath)!;
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Cannot save the model to '{fullPath}': directory '{directory}' does not exist.");
        DeleteAbandonedTemporaries(fullPath);
        var temporary = TemporaryPrefix(fullPath) + $"{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
                catalog.Save(model, inputSchema, stream);
            File.Move(temporary, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>
    /// Writes the fine-tuned model as a standard ONNX graph (opset 17, adapters merged) to <paramref name="stream"/>: int64
    /// [batch, sequence] inputs <c>input_ids</c>, <c>attention_mask</c> and, for BERT, <c>token_type_ids</c> (a bi-encoder adds
    /// the second text's, suffixed <c>_2</c>); outputs <c>logits</c> and, for a classifier, <c>probabilities</c>, in the order
    /// of the Score column. Text is tokenized outside the graph (docs/onnx.md). Nothing is written when the model cannot be
    /// exported.
    /// </summary>
    /// <exception cref="NotSupportedException">A USE-Lite model (no ONNX graph writer for its network).</exception>
    /// <exception cref="InvalidOperationException">The model scores with an engine that holds no TorchSharp network.</exception>
    public static void SaveAsOnnx(this DeltaLoRATransformer transformer, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        OnnxExport.Build(HuggingFaceExport.ModelAndTask(transformer).Model).WriteTo(stream);
    }

    /// <summary>As <see cref="SaveAsOnnx(DeltaLoRATransformer, Stream)"/>, to <paramref name="filePath"/>, whole or not at all.</summary>
    public static void SaveAsOnnx(this DeltaLoRATransformer transformer, string filePath)
        => OnnxExport.Write(HuggingFaceExport.ModelAndTask(transformer).Model, filePath);

    private static string TemporaryPrefix(string fullPath)
        => Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.");

    /// <summary>Our temporaries of <paramref name="fullPath"/> that no process holds: a save that was killed part-way.</summary>
    private static void DeleteAbandonedTemporaries(string fullPath)
    {
        var prefix = TemporaryPrefix(fullPath);
        foreach (var candidate in Directory.EnumerateFiles(Path.GetDirectoryName(fullPath)!, Path.GetFileName(prefix) + "*.tmp"))
        {
            var guid = candidate[prefix.Length..^".tmp".Length];
            if (guid.Length != 32 || !guid.All(char.IsAsciiHexDigitLower)) continue;
            try
            {
                using (new FileStream(candidate, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) { }
                File.Delete(candidate);
            }
            catch (IOException)
            {
                // Another save is writing it.
            }
        }
    }
}
