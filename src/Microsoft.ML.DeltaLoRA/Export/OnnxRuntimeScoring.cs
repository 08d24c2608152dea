using Google.Protobuf;
using Microsoft.ML.DeltaLoRA.Export;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace Microsoft.ML;

/// <summary>
/// Scoring a fitted or loaded Delta-LoRA model with ONNX Runtime instead of TorchSharp: the merged network is exported as an ONNX
/// graph (<c>Export.OnnxExport</c>) and scored by <c>OnnxRuntimeScoringEngine</c>, with the same tokenizer, batching and outputs.
/// A model saved after this stores the graph (engine format <c>deltalora/onnx-runtime</c>), and loading it scores with ONNX Runtime
/// again, with no call and without TorchSharp's native library.
/// </summary>
public static class OnnxRuntimeScoring
{
    /// <summary>
    /// A copy of <paramref name="model"/> (a pipeline from <c>Fit</c> or <c>MLContext.Model.Load</c>, or a <c>DeltaLoRATransformer</c>)
    /// whose Delta-LoRA steps score with ONNX Runtime; its other steps are shared with <paramref name="model"/>, which stays usable.
    /// Save it with <c>MLContext.Model.Save</c> (or <c>SaveAtomically</c>) to get a zip that a scoring-only app loads without
    /// TorchSharp's native backend. Dispose the copy to free its ONNX Runtime sessions.
    /// </summary>
    /// <exception cref="ArgumentException">The model holds no Delta-LoRA step.</exception>
    /// <exception cref="NotSupportedException">The fine-tuned network has no ONNX graph writer (USE-Lite); the message says why.</exception>
    public static ITransformer WithOnnxRuntimeScoring(this ModelOperationsCatalog catalog, ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return TransformerChains.ReplaceScorers(model, transformer => ToOnnxRuntime(transformer));
    }

    /// <summary>One Delta-LoRA step scoring with ONNX Runtime; <paramref name="threads"/> as in <c>OnnxRuntimeScoringEngine.CreateSessionOptions</c>.</summary>
    internal static DeltaLoRATransformer ToOnnxRuntime(DeltaLoRATransformer transformer, OnnxRuntimeScoringEngine.ThreadSettings? threads = null)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        IScoringEngine engine = transformer.Scorer.Engine switch
        {
            OnnxRuntimeScoringEngine onnx => OnnxRuntimeScoringEngine.Load(onnx.SavePayload(), threads),
            TorchSharpScoringEngine torch => OnnxRuntimeScoringEngine.Create(OnnxExport.Build(torch.Model, fusedAttention: true).ToByteArray(),
                HuggingFaceExport.TokenizerFiles(torch.Model), torch.Model.Family, torch.MaxSequenceLength, threads),
            var other => throw new NotSupportedException($"A model scored by the '{other.FormatTag}' engine cannot be moved to ONNX Runtime."),
        };
        try
        {
            return new DeltaLoRATransformer(transformer.Environment, new BatchScorer(engine, transformer.Columns, transformer.InferenceBatchSize));
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }
}
