namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>
/// The read-only <c>../shared</c> folder beside the repository root (or <c>DELTALORA_SHARED</c>): SST-2 sentences and the
/// BERT vocabulary for the inference benchmark. Null when absent; the report then skips what needs it and says so.
/// </summary>
internal static class SharedFiles
{
    private static readonly Lazy<string?> RootPath = new(FindRoot);

    public static string? Root => RootPath.Value;

    public static string? Find(params string[] parts)
    {
        if (Root is null) return null;
        var path = Path.Combine([Root, .. parts]);
        return File.Exists(path) ? path : null;
    }

    private static string? FindRoot()
    {
        var configured = Environment.GetEnvironmentVariable("DELTALORA_SHARED");
        if (!string.IsNullOrEmpty(configured)) return Directory.Exists(configured) ? Path.GetFullPath(configured) : null;
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (!File.Exists(Path.Combine(dir.FullName, "Microsoft.ML.DeltaLoRA.sln"))) continue;
                var shared = Path.Combine(dir.FullName, "..", "shared");
                return Directory.Exists(shared) ? Path.GetFullPath(shared) : null;
            }
        }
        return null;
    }
}
