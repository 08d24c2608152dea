using System.Diagnostics;
using Microsoft.ML.DeltaLoRA.Modeling.UseLite;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Modeling;

namespace Microsoft.ML.DeltaLoRA.Tests.UseLite;

/// <summary>
/// What the USE-Lite tests need from the machine: the repository root, node and npm, and the pretrained model, which
/// build/fetch-model.sh fetches into the model cache once (so these tests run wherever npm can reach its registry).
/// </summary>
internal static class UseLiteTestEnvironment
{
    private static readonly object FetchLock = new();

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static bool HasNode => FindOnPath("node") is not null;
    public static bool HasNpm => FindOnPath("npm") is not null;
    public static bool HasBash => FindOnPath("bash") is not null;

    /// <summary>Null when the model can be had (present, or fetchable with npm and bash); otherwise why not.</summary>
    public static string? ModelUnavailableReason =>
        IsModelPresent || (HasNpm && HasBash)
            ? null
            : $"The USE-Lite model is not in {NamedModels.UseLite.ExpectedDirectory} and npm (or bash) is not available to fetch it with build/fetch-model.sh.";

    /// <summary>Whether the model folder has every file (the sums are checked when it is used).</summary>
    private static bool IsModelPresent => UseLiteModelFiles.Expected.All(f => File.Exists(Path.Combine(NamedModels.UseLite.ExpectedDirectory, f.FileName)));

    /// <summary>The verified model folder, fetching it with build/fetch-model.sh when it is absent.</summary>
    public static string EnsureModel()
    {
        lock (FetchLock)
        {
            if (!IsModelPresent)
            {
                var result = Run("bash", [Path.Combine(RepositoryRoot, "build", "fetch-model.sh"), NamedModels.UseLite.Name], RepositoryRoot, timeout: TimeSpan.FromMinutes(5));
                if (result.ExitCode != 0)
                    throw new InvalidOperationException($"build/fetch-model.sh failed ({result.ExitCode}):\n{result.StandardError}\n{result.StandardOutput}");
            }
            return NamedModels.ResolveFolder(NamedModels.UseLite.Name);
        }
    }

    public static (int ExitCode, string StandardOutput, string StandardError) Run(
        string fileName, IEnumerable<string> arguments, string workingDirectory, IDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        if (environment is not null)
            foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', start.ArgumentList)} did not finish in time.");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>A copy of the model folder in a new temporary folder (the caller deletes it).</summary>
    public static string CopyModelToTemp()
    {
        string source = EnsureModel();
        string copy = Directory.CreateTempSubdirectory("uselite-copy-").FullName;
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        return copy;
    }

    private static string? FindOnPath(string program)
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(folder, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Microsoft.ML.DeltaLoRA.sln"))) return dir.FullName;
        throw new InvalidOperationException("The repository root (with Microsoft.ML.DeltaLoRA.sln) is not above the test binaries.");
    }
}

/// <summary>A fact that needs the pretrained USE-Lite model; skipped when it is absent and cannot be fetched.</summary>
public sealed class UseLiteModelFactAttribute : FactAttribute
{
    public UseLiteModelFactAttribute()
    {
        if (UseLiteTestEnvironment.ModelUnavailableReason is { } reason) Skip = reason;
    }
}

/// <summary>A fact that runs the TF.js reference under node on shared data: skipped when node, npm or ../shared is missing.</summary>
public sealed class NodeReferenceFactAttribute : FactAttribute
{
    public NodeReferenceFactAttribute()
    {
        if (!UseLiteTestEnvironment.HasNode || !UseLiteTestEnvironment.HasNpm)
            Skip = "node and npm are needed to run the TF.js reference of USE-Lite (@energetic-ai/embeddings); they are not on PATH.";
        else if (UseLiteTestEnvironment.ModelUnavailableReason is { } reason)
            Skip = reason;
        else if (!SharedData.IsAvailable)
            Skip = SharedData.MissingReason;
    }
}
