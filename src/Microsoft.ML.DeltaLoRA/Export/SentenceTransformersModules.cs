using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Export;

/// <summary>
/// The files that make an <see cref="HuggingFaceLayout.EncoderAndHead"/> folder of a single-text model a sentence-transformers
/// model whose embedding is the head's output: <c>modules.json</c> lists the folder's encoder (path ""), its pooling
/// (<c>1_Pooling</c>) and a <c>Dense</c> layer with the identity activation (<c>2_Dense</c>, the head's weight and bias as
/// <c>linear.weight</c>/<c>linear.bias</c>, the names of that module's <c>nn.Linear</c>). So <c>SentenceTransformer(folder).encode(texts)</c>
/// returns the logits with no custom code. A bi-encoder's head reads [u, v, |u−v|, u⊙v] of two texts, which no sentence-transformers
/// module computes: such models get the README's recipe only.
/// </summary>
internal static class SentenceTransformersModules
{
    public const string ModulesFileName = "modules.json";
    public const string SettingsFileName = "sentence_bert_config.json";
    public const string DenseFolder = "2_Dense";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Write(string folder, SentencePooling pooling, int hiddenSize, int maxSequenceLength, Tensor headWeight, Tensor headBias)
    {
        if (pooling == SentencePooling.Pooler)
            throw new ArgumentOutOfRangeException(nameof(pooling), pooling, "sentence-transformers has no pooling that applies BERT's pooler.");
        File.WriteAllText(Path.Combine(folder, ModulesFileName), new JsonArray(
            Module(0, "", "sentence_transformers.models.Transformer"),
            Module(1, "1_Pooling", "sentence_transformers.models.Pooling"),
            Module(2, DenseFolder, "sentence_transformers.models.Dense")).ToJsonString(Indented));
        File.WriteAllText(Path.Combine(folder, SettingsFileName),
            new JsonObject { ["max_seq_length"] = maxSequenceLength, ["do_lower_case"] = false }.ToJsonString(Indented));

        Directory.CreateDirectory(Path.Combine(folder, Path.GetDirectoryName(SentenceTransformersPooling.RelativePath)!));
        File.WriteAllText(Path.Combine(folder, SentenceTransformersPooling.RelativePath), SentenceTransformersPooling.ToJson(pooling, hiddenSize));

        var dense = Directory.CreateDirectory(Path.Combine(folder, DenseFolder)).FullName;
        File.WriteAllText(Path.Combine(dense, "config.json"), new JsonObject
        {
            ["in_features"] = headWeight.shape[1],
            ["out_features"] = headWeight.shape[0],
            ["bias"] = true,
            ["activation_function"] = "torch.nn.modules.linear.Identity",
        }.ToJsonString(Indented));
        using var stream = File.Create(Path.Combine(dense, HuggingFaceExport.WeightsFileName));
        SafetensorsWriter.Write(stream, [new("linear.weight", headWeight), new("linear.bias", headBias)], HuggingFaceExport.PyTorchMetadata);
    }

    private static JsonObject Module(int index, string path, string type)
        => new() { ["idx"] = index, ["name"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture), ["path"] = path, ["type"] = type };
}
