namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>
/// The folder that holds the models known by name (<see cref="NamedModels"/>), one subfolder each:
/// <c>$DELTALORA_MODEL_CACHE</c>, else <c>$XDG_CACHE_HOME/deltalora/models</c>, else <c>~/.cache/deltalora/models</c>.
/// build/fetch-model.sh and the CLI's <c>fetch-model</c> fill it; the library itself never downloads.
/// </summary>
internal static class ModelCache
{
    public const string EnvironmentVariable = "DELTALORA_MODEL_CACHE";

    public static string Root => ResolveRoot(
        Environment.GetEnvironmentVariable(EnvironmentVariable),
        Environment.GetEnvironmentVariable("XDG_CACHE_HOME"),
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    internal static string ResolveRoot(string? configured, string? xdgCacheHome, string home)
    {
        if (!string.IsNullOrEmpty(configured)) return Path.GetFullPath(configured);
        string cache = !string.IsNullOrEmpty(xdgCacheHome) ? xdgCacheHome : Path.Combine(home, ".cache");
        return Path.GetFullPath(Path.Combine(cache, "deltalora", "models"));
    }
}
