namespace Microsoft.ML.DeltaLoRA.Tests.Checkpoints;

/// <summary>
/// A temporary model folder holding a fixture's torch.onnx export (<c>model.onnx</c>, linked, not copied) and, optionally, its
/// <c>config.json</c> and tokenizer files, so that loading it goes through the ONNX reader rather than model.safetensors.
/// </summary>
internal sealed class OnnxFixtureFolder : IDisposable
{
    private OnnxFixtureFolder(string path) => Path = path;

    public string Path { get; }

    public static OnnxFixtureFolder Create(string fixtureFolder, bool withConfig)
    {
        var folder = Directory.CreateTempSubdirectory("deltalora-onnx-").FullName;
        File.CreateSymbolicLink(System.IO.Path.Combine(folder, "model.onnx"), System.IO.Path.Combine(fixtureFolder, "model.onnx"));
        if (withConfig) File.CreateSymbolicLink(System.IO.Path.Combine(folder, "config.json"), System.IO.Path.Combine(fixtureFolder, "config.json"));
        foreach (var name in new[] { "vocab.txt", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json" })
        {
            var file = System.IO.Path.Combine(fixtureFolder, name);
            if (File.Exists(file)) File.CreateSymbolicLink(System.IO.Path.Combine(folder, name), file);
        }
        return new OnnxFixtureFolder(folder);
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
