namespace Microsoft.ML.DeltaLoRA.Checkpoints;

/// <summary>
/// Finds and reads the weights of a Hugging Face model folder, in transformers' order of preference:
/// <c>model.safetensors</c>, <c>model.safetensors.index.json</c> (sharded), <c>pytorch_model.bin</c>,
/// <c>pytorch_model.bin.index.json</c> (sharded); then a torch.onnx export, <c>model.onnx</c>.
/// </summary>
internal static class CheckpointWeights
{
    public const string SafetensorsFile = "model.safetensors";
    public const string SafetensorsIndexFile = "model.safetensors.index.json";
    public const string PyTorchFile = "pytorch_model.bin";
    public const string PyTorchIndexFile = "pytorch_model.bin.index.json";

    private static readonly string[] Candidates = [SafetensorsFile, SafetensorsIndexFile, PyTorchFile, PyTorchIndexFile, Onnx.OnnxCheckpointReader.FileName];

    /// <summary>The weights file of <paramref name="folder"/> that <see cref="Read"/> would use.</summary>
    public static string Locate(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"The model folder '{folder}' does not exist.");
        foreach (var candidate in Candidates)
        {
            var path = Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException(
            $"The model folder '{folder}' has no weights: expected one of {string.Join(", ", Candidates)}.", Path.Combine(folder, SafetensorsFile));
    }

    /// <summary>Reads every tensor of a model folder (see <see cref="Locate"/>).</summary>
    public static StateDict Read(string folder) => ReadFile(Locate(folder));

    /// <summary>Reads one weights file, by its name: safetensors, a PyTorch state dict, a sharded index of either, or an ONNX export.</summary>
    public static StateDict ReadFile(string file)
    {
        ArgumentException.ThrowIfNullOrEmpty(file);
        if (!File.Exists(file)) throw new FileNotFoundException($"The weights file '{file}' does not exist.", file);
        var name = Path.GetFileName(file);
        if (name.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase))
            return ShardedCheckpointIndex.Read(file, ReadFile);
        if (name.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            return Onnx.OnnxCheckpointReader.Read(file);
        return name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)
            ? SafetensorsReader.Read(file)
            : PyTorchCheckpointReader.Read(file);
    }
}
