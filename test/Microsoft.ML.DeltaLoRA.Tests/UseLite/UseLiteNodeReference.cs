using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Modeling.UseLite;
using Microsoft.ML.DeltaLoRA.Modeling;

namespace Microsoft.ML.DeltaLoRA.Tests.UseLite;

/// <summary>
/// Runs the original USE-Lite graph on TF.js under node (test/reference/uselite/embed.js with @energetic-ai/embeddings
/// and @energetic-ai/core 0.2.0). The packages are installed with 'npm ci' into the model cache once and reused while
/// the lock file is unchanged.
/// </summary>
internal static class UseLiteNodeReference
{
    public sealed record Output(string Backend, int[][] Ids, float[][] Embeddings);

    private static string ScriptFolder => Path.Combine(UseLiteTestEnvironment.RepositoryRoot, "test", "reference", "uselite");

    private static string InstallFolder => Path.Combine(ModelCache.Root, "reference", "uselite-node");

    public static Output Embed(string modelDirectory, IReadOnlyList<string> texts)
    {
        string modules = EnsureInstalled();
        string work = Directory.CreateTempSubdirectory("uselite-reference-").FullName;
        try
        {
            string input = Path.Combine(work, "input.json");
            string output = Path.Combine(work, "output.json");
            File.WriteAllText(input, JsonSerializer.Serialize(new { texts }));
            var result = UseLiteTestEnvironment.Run("node", [Path.Combine(ScriptFolder, "embed.js"), modelDirectory, input, output], work,
                new Dictionary<string, string> { ["NODE_PATH"] = modules });
            if (result.ExitCode != 0)
                throw new InvalidOperationException($"The TF.js reference failed ({result.ExitCode}):\n{result.StandardError}");
            using var document = JsonDocument.Parse(File.ReadAllBytes(output));
            var root = document.RootElement;
            return new Output(
                root.GetProperty("backend").GetString()!,
                root.GetProperty("ids").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray(),
                root.GetProperty("embeddings").EnumerateArray().Select(row => row.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()).ToArray());
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Installs the pinned reference packages when needed; returns their node_modules folder.</summary>
    private static string EnsureInstalled()
    {
        string folder = InstallFolder;
        string lockFile = Path.Combine(ScriptFolder, "package-lock.json");
        string installedLock = Path.Combine(folder, "package-lock.json");
        string modules = Path.Combine(folder, "node_modules");
        bool upToDate = File.Exists(installedLock)
            && File.ReadAllText(installedLock) == File.ReadAllText(lockFile)
            && File.Exists(Path.Combine(modules, "@energetic-ai", "embeddings", "package.json"));
        if (upToDate) return modules;

        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(ScriptFolder, "package.json"), Path.Combine(folder, "package.json"), overwrite: true);
        File.Copy(lockFile, installedLock, overwrite: true);
        var result = UseLiteTestEnvironment.Run("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], folder, timeout: TimeSpan.FromMinutes(5));
        if (result.ExitCode != 0)
        {
            File.Delete(installedLock);
            throw new InvalidOperationException($"'npm ci' of the TF.js reference in {folder} failed ({result.ExitCode}):\n{result.StandardError}");
        }
        return modules;
    }
}
