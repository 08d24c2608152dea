using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.UseLite;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>
/// The pretrained model a fine-tune started from, by reference: a model name (<see cref="NamedModels"/>, found in the model cache)
/// or a folder, and the SHA-256 of each file that holds its weights, so that a compact model is only ever rebuilt on the
/// weights it was trained from. The sums are those <c>sha256sum</c> prints for the files.
/// </summary>
/// <param name="Name">The model's name when it was given by name (or as the default); null for a folder.</param>
/// <param name="Folder">The full path of the folder when it was given as one; null for a name.</param>
/// <param name="WeightFiles">The weight files, relative to the model's folder, with their SHA-256 (lower-case hex).</param>
internal sealed record BaseModelReference(string? Name, string? Folder, IReadOnlyList<WeightFileSum> WeightFiles)
{
    /// <summary>The file name of the reference inside a model zip.</summary>
    public const string FileName = "base-model.json";

    /// <summary>
    /// The reference to the model <paramref name="modelPath"/> means (as <see cref="NamedModels.ResolveFolder(string?)"/> reads it:
    /// an existing folder, else a name, null the default model), with the sums of its weight files as they are now.
    /// </summary>
    public static BaseModelReference Of(string? modelPath)
    {
        var folder = NamedModels.ResolveFolder(modelPath);
        bool isFolder = modelPath is not null && Directory.Exists(modelPath);
        string? name = isFolder ? null : (modelPath is null ? NamedModels.Default : NamedModels.Find(modelPath)!).Name;
        var sums = WeightFileNames(folder).Select(file => new WeightFileSum(file, UseLiteModelFiles.Sha256Of(Path.Combine(folder, file)))).ToList();
        return new BaseModelReference(name, isFolder ? Path.GetFullPath(folder) : null, sums);
    }

    /// <summary>What the user reads in messages: "the model 'minilm'" or "the model folder '/path'".</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Description => Name is not null ? $"the model '{Name}'" : $"the model folder '{Folder}'";

    /// <summary>
    /// The base model's folder, once every weight file is there with the recorded SHA-256. A missing model fails with
    /// <see cref="CompactBaseMissingException"/> (a <see cref="DirectoryNotFoundException"/>) naming what to fetch or where to put
    /// it; a different one with <see cref="CompactBaseMismatchException"/> (an <see cref="IOException"/>) naming the file and both sums. <paramref name="source"/> names the compact model.
    /// </summary>
    public string ResolveFolder(string source) => ResolveFolder(source, ModelCache.Root);

    internal string ResolveFolder(string source, string cacheRoot)
    {
        string folder;
        if (Name is not null)
        {
            var named = NamedModels.Find(Name)
                ?? throw new InvalidDataException($"{source} is compact and names its base model '{Name}', which this version of Microsoft.ML.DeltaLoRA does not know.");
            try
            {
                folder = NamedModels.ResolveFolder(named.Name, cacheRoot);
            }
            catch (Exception e) when (e is DirectoryNotFoundException or InvalidOperationException)
            {
                throw new CompactBaseMissingException(
                    $"{source} is compact: it holds only the fine-tuned delta and needs its base model '{named.Name}' ({named.Title}), " +
                    $"which is not in '{named.DirectoryIn(cacheRoot)}'. Fetch it with {named.FetchCommand}.", e);
            }
        }
        else
        {
            folder = Folder ?? throw new InvalidDataException($"'{FileName}' in {source} names neither a base model nor a folder.");
            if (!Directory.Exists(folder))
                throw new CompactBaseMissingException(
                    $"{source} is compact: it holds only the fine-tuned delta and needs its base model folder '{folder}', which does not exist. " +
                    "Put the base model back at that folder (the same files), or load the full model instead.");
        }
        foreach (var (file, expected) in WeightFiles)
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path))
                throw new CompactBaseMissingException(
                    $"{source} is compact and needs the weight file '{file}' of its base, {Description}, but '{path}' does not exist.");
            var found = UseLiteModelFiles.Sha256Of(path);
            if (!string.Equals(found, expected, StringComparison.OrdinalIgnoreCase))
                throw new CompactBaseMismatchException(
                    $"{source} is compact and was trained on {Description} whose '{file}' has SHA-256 {expected}, but '{path}' has SHA-256 {found}: " +
                    "a different base model. Loading it would give wrong predictions, so it is refused; restore the base it was trained on.");
        }
        return folder;
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, JsonOptions);

    /// <summary>Reads <see cref="FileName"/>; <paramref name="source"/> names the model in errors.</summary>
    public static BaseModelReference FromJson(byte[] bytes, string source)
    {
        BaseModelReference? reference;
        try
        {
            reference = JsonSerializer.Deserialize<BaseModelReference>(bytes, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{FileName}' in {source} is not valid JSON: {e.Message}", e);
        }
        if (reference is null || (reference.Name is null) == (reference.Folder is null) || reference.WeightFiles is not { Count: > 0 }
            || reference.WeightFiles.Any(f => string.IsNullOrEmpty(f.File) || f.File != Path.GetFileName(f.File) || f.Sha256 is not { Length: 64 }))
            throw new InvalidDataException(
                $"'{FileName}' in {source} must name either a base model ('name') or a folder ('folder'), and its weight files by plain file name with a 64-digit SHA-256 each.");
        return reference;
    }

    /// <summary>
    /// The files whose bytes are the weights: for a Hugging Face folder the file <see cref="CheckpointWeights.Locate"/> reads
    /// (with a sharded index, the index and its shards), for USE-Lite its graph and weight shards.
    /// </summary>
    private static IReadOnlyList<string> WeightFileNames(string folder)
    {
        if (UseLiteModelFiles.IsModelFolder(folder))
            return UseLiteModelFiles.Expected.Select(f => f.FileName).Where(f => f != UseLiteModelFiles.VocabularyFileName).ToList();
        var located = CheckpointWeights.Locate(folder);
        var name = Path.GetFileName(located);
        return name.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase) ? [name, .. ShardedCheckpointIndex.ShardNames(located)] : [name];
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>One weight file of a base model and its SHA-256 (lower-case hex).</summary>
internal sealed record WeightFileSum(string File, string Sha256);

/// <summary>A compact model's base model is not where its reference says (not fetched, or its folder gone).</summary>
internal sealed class CompactBaseMissingException(string message, Exception? inner = null) : DirectoryNotFoundException(message, inner);

/// <summary>A compact model's base model is there but is not the one it was trained on (a SHA-256 differs).</summary>
/// <remarks>
/// An <see cref="IOException"/>: the files on disk are not the expected ones (<see cref="InvalidDataException"/> is sealed).
/// </remarks>
internal sealed class CompactBaseMismatchException(string message) : IOException(message);
