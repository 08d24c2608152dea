using Microsoft.ML.DeltaLoRA.Export;
using Microsoft.ML.DeltaLoRA.MLNet;
using Google.Protobuf;

namespace Microsoft.ML;

/// <summary>
/// A fitted DeltaLoRA model as a standard ONNX graph (opset 17, adapters merged): int64 [batch, sequence] inputs
/// <c>input_ids</c>, <c>attention_mask</c> and, for BERT, <c>token_type_ids</c> (a bi-encoder adds the second text's, suffixed
/// <c>_2</c>); outputs <c>logits</c> [batch, outputs] and, for a classifier, <c>probabilities</c>, in the order of the
/// Score column. Text is tokenized outside the graph (docs/onnx.md says why, and how). This is what
/// <c>mlContext.Model.ConvertToOnnx</c> cannot do for these models.
/// </summary>
public static class OnnxSavingExtensions
{
    /// <summary>Writes the graph to <paramref name="stream"/>; nothing is written when the model cannot be exported.</summary>
    /// <exception cref="NotSupportedException">A USE-Lite model (no ONNX graph writer for its network).</exception>
    /// <exception cref="InvalidOperationException">The model scores with an engine that holds no TorchSharp network.</exception>
    public static void SaveAsOnnx(this DeltaLoRATransformer transformer, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var graph = OnnxExport.Build(HuggingFaceExport.ModelAndTask(transformer).Model);
        graph.WriteTo(stream);
    }

    /// <summary>Writes the graph to <paramref name="filePath"/>, whole or not at all (a temporary file moved into place).</summary>
    public static void SaveAsOnnx(this DeltaLoRATransformer transformer, string filePath)
        => OnnxExport.Write(HuggingFaceExport.ModelAndTask(transformer).Model, filePath);
}
