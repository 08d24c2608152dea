using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Checkpoints.Onnx;

/// <summary>
/// Reads the weights of a torch.onnx export of a BERT, RoBERTa or DistilBERT model (<c>model.onnx</c>) under their Hugging Face
/// names (see <see cref="OnnxWeightPlacement"/>), and derives its config when no <c>config.json</c> is beside it.
/// </summary>
internal static class OnnxCheckpointReader
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

    /// <summary>
    /// The weights and the derived config of one export, parsing the file once (converting a 90 MB export to a Hugging Face
    /// folder needs both).
    /// </summary>
    public static (StateDict Weights, EncoderConfig Config, IReadOnlyList<string> Assumed) ReadWithDerivedConfig(string file)
    {
        var graph = OnnxGraph.Read(file);
        var placed = OnnxWeightPlacement.Place(graph);
        var derived = OnnxEncoderConfig.Derive(graph, placed);
        return (Read(graph, placed), derived.Config, derived.Assumed);
    }

    private static StateDict Read(OnnxGraph graph) => Read(graph, OnnxWeightPlacement.Place(graph));

    private static StateDict Read(OnnxGraph graph, IReadOnlyList<PlacedWeight> placed)
    {
        var result = new StateDict();
        try
        {
            foreach (var weight in placed)
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
