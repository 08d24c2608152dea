namespace Microsoft.ML.DeltaLoRA.Tests.Infrastructure;

/// <summary>The repository's root folder: the nearest folder above the test binaries that holds Microsoft.ML.DeltaLoRA.sln.</summary>
internal static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(Find);

    public static string Path => Root.Value;

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Microsoft.ML.DeltaLoRA.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds Microsoft.ML.DeltaLoRA.sln.");
    }
}
