using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// ML.NET's ONNX-saving contract (internal: <c>ITransformCanSaveOnnx</c>), which <c>mlContext.Model.ConvertToOnnx</c> asks of each
/// step's output as it walks a pipeline back from its end. Without it the walk stops at our output silently and writes a graph
/// of the later steps alone (a MapKeyToValue whose input is our PredictedLabel), so this view takes part and refuses, saying
/// why and what to use instead (docs/onnx.md).
/// </summary>
internal sealed partial class ScoredDataView : ITransformCanSaveOnnx
{
    internal const string ConvertToOnnxRefusal =
        "mlContext.Model.ConvertToOnnx cannot convert a DeltaLoRA model: ML.NET's converter gives each step an ONNX context whose graph " +
        "input is the raw text column and whose opset it caps at 12 (Microsoft.ML.OnnxConverter's OnnxContextImpl), and no ONNX op " +
        "tokenizes text as the model was trained: ONNX Runtime Extensions 0.14.0's BertTokenizer never truncates sentence pairs, turns " +
        "letters with two accents into [UNK] and takes one row per run, and its RobertaTokenizer has no pairs and overruns its rows when " +
        "truncating. Export the fine-tuned model instead with transformer.SaveAsOnnx(stream or path) (token ids in, logits and " +
        "probabilities out) or 'deltalora export --format onnx' (the graph, the tokenizer files and a scoring recipe); see docs/onnx.md.";

    public bool CanSaveOnnx(OnnxContext ctx) => true;

    public void SaveAsOnnx(OnnxContext ctx) => throw new NotSupportedException(ConvertToOnnxRefusal);

    /// <summary>ML.NET saves transformers, not their outputs; a model is saved with <c>mlContext.Model.Save</c>.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx)
        => throw new NotSupportedException("A DeltaLoRA model's scored data cannot be saved as a data transform; save the fitted model with mlContext.Model.Save.");
}
