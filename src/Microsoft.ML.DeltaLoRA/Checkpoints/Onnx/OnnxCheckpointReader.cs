using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Checkpoints.Onnx;

/// <summary>
/// Reads the weights of a torch.onnx export of a BERT, RoBERTa or DistilBERT model (<c>model.onnx</c>) under their Hugging Face
/// names (see <see cref="OnnxWeightPlacement"/>), and derives its config when no <c>config.json</c> is beside it.
/// </summary>
public static class OnnxCheckpointReader
{
    public const string FileName = "model.onnx";

    /// <summary>Every floating-point weight, named and laid out as in a Hugging Face state dict (float32).</summary>
    public static StateDict Read(string file) => Read(OnnxGraph.Read(file));

    /// <summary>
    /// The encoder config that the graph shows, and what it could not show (taken from the family's defaults, one line each).
    /// </summary>
    public static (EncoderConfig Config, IReadOnlyList<string> Assumed) DeriveConfig(string file)
    {
        var graph = OnnxGraph.Read(file);
        var derived = OnnxEncoderConfig.Derive(graph, OnnxWeightPlacement.Place(graph));
        return (derived.Config, derived.Assumed);
    }

    private static StateDict Read(OnnxGraph graph)
    {
        var result = new StateDict();
        try
        {
            foreach (var weight in OnnxWeightPlacement.Place(graph))
            {
                var stored = OnnxInitializer.ToFloatTensor(graph.Initializers[weight.Initializer], graph.File);
                if (!weight.Transposed)
                {
                    result.Add(weight.Name, stored, graph.File);
                    continue;
                }
                using (stored) result.Add(weight.Name, stored.t().contiguous(), graph.File);
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }
}
