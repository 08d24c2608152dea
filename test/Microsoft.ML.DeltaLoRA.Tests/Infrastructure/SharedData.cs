namespace Microsoft.ML.DeltaLoRA.Tests.Infrastructure;

/// <summary>
/// Locates the read-only <c>../shared</c> folder (data and reference fixtures) beside the repository root.
/// Tests that need it use <see cref="SharedFactAttribute"/> / <see cref="SharedTheoryAttribute"/>, which skip when it is absent.
/// </summary>
internal static class SharedData
{
    public const string MissingReason =
        "../shared (reference fixtures and data) is not beside the repository root; set DELTALORA_SHARED to its path to run this test.";

    private static readonly Lazy<string?> RootPath = new(FindRoot);

    /// <summary>The shared folder, or null when it cannot be found.</summary>
    public static string? Root => RootPath.Value;

    public static bool IsAvailable => Root is not null;

    /// <summary>A path inside the shared folder; throws when the folder is absent (callers are skipped before that).</summary>
    public static string PathOf(params string[] parts)
        => Path.Combine([Root ?? throw new InvalidOperationException(MissingReason), .. parts]);

    private static string? FindRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("DELTALORA_SHARED");
        if (!string.IsNullOrEmpty(fromEnvironment)) return Directory.Exists(fromEnvironment) ? Path.GetFullPath(fromEnvironment) : null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Microsoft.ML.DeltaLoRA.sln")))
            {
                var shared = Path.Combine(dir.FullName, "..", "shared");
                return Directory.Exists(shared) ? Path.GetFullPath(shared) : null;
            }
        }
        return null;
    }
}

/// <summary>A fact that needs ../shared; skipped with a reason when it is absent.</summary>
public sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute()
    {
        if (!SharedData.IsAvailable) Skip = SharedData.MissingReason;
    }
}

/// <summary>A theory that needs ../shared; skipped with a reason when it is absent.</summary>
public sealed class SharedTheoryAttribute : TheoryAttribute
{
    public SharedTheoryAttribute()
    {
        if (!SharedData.IsAvailable) Skip = SharedData.MissingReason;
    }
}
