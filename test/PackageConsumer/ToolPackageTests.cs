using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.ML;
using Microsoft.ML.DeltaLoRA;
using Xunit;

namespace PackageConsumer;

/// <summary>
/// What a user gets from the deltalora tool package: build/run-tests.sh packs it for this machine's platform into
/// artifacts/packages, and <see cref="InstalledTool"/> installs it from there with <c>dotnet tool install --tool-path</c>.
/// </summary>
public class ToolPackageTests(InstalledTool tool) : IClassFixture<InstalledTool>
{
    [ToolPlatformFact]
    public void The_tool_package_points_to_the_package_for_this_platform_which_carries_its_libtorch()
    {
        var (rid, nativeTorch) = ToolPlatform.Current!.Value;
        using (var pointer = ZipFile.OpenRead(ToolPackage.Path("deltalora")))
        {
            var metadata = ToolPackage.Metadata(pointer, "deltalora");
            Assert.Equal("DotnetTool", ToolPackage.PackageType(metadata));
            Assert.Contains("command line", ToolPackage.Value(metadata, "description"));
            Assert.Equal("MIT", ToolPackage.Value(metadata, "license"));
            Assert.NotNull(pointer.GetEntry("README.md"));
            Assert.DoesNotContain(pointer.Entries, e => e.Name == "deltalora.dll");
        }
        using var platform = ZipFile.OpenRead(ToolPackage.Path($"deltalora.{rid}"));
        Assert.Equal("DotnetToolRidPackage", ToolPackage.PackageType(ToolPackage.Metadata(platform, $"deltalora.{rid}")));
        var files = platform.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains($"tools/net10.0/{rid}/deltalora.dll", files);
        Assert.Contains($"tools/net10.0/{rid}/Microsoft.ML.DeltaLoRA.dll", files);
        Assert.Contains($"tools/net10.0/{rid}/{nativeTorch}", files);
        // One platform's libtorch only, and no .NET runtime (the tool is framework-dependent).
        Assert.DoesNotContain(files, f => ToolPlatform.NativeTorchFiles.Any(n => n != nativeTorch && f.EndsWith("/" + n, StringComparison.Ordinal)));
        Assert.DoesNotContain(files, f => f.EndsWith("/System.Private.CoreLib.dll", StringComparison.Ordinal));
    }

    [ToolPlatformFact]
    public void Help_lists_every_command()
    {
        var help = tool.Run("--help");
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.StartsWith("Description:", help.Output.TrimStart());
        foreach (var command in new[] { "train", "evaluate", "predict", "sweep", "fetch-model" })
            Assert.Matches($@"(?m)^\s+{command}\b", help.Output);
    }

    [ToolPlatformFact(NeedsSharedFixtures = true)]
    public void Train_saves_a_model_that_loads_and_predict_labels_every_line()
    {
        var shared = Locations.Shared!;
        var folder = Directory.CreateTempSubdirectory("deltalora-tool-run-");
        try
        {
            var modelPath = Path.Combine(folder.FullName, "model.zip");
            var train = tool.Run("train", "--dataset", Path.Combine(shared, "data", "small", "sst2_train_256.tsv"), "--max-rows", "64",
                "--test-dataset", Path.Combine(shared, "data", "small", "sst2_eval_128.tsv"),
                "--model", Locations.Fixture("bert", "BertForSequenceClassification"), "--epochs", "1", "--json", "--out", modelPath);
            Assert.True(train.ExitCode == 0, train.ToString());
            using var report = JsonDocument.Parse(train.Output.Trim().Split('\n')[^1]);
            Assert.Equal(modelPath, report.RootElement.GetProperty("outputs").GetProperty("model").GetString());
            Assert.Equal(64, report.RootElement.GetProperty("train_rows").GetInt32());
            Assert.Equal(128, report.RootElement.GetProperty("metrics").GetProperty("rows").GetInt32());

            // The zip is an ML.NET model that the library package loads in this (another) process.
            var loaded = new MLContext(seed: 1).Model.Load(modelPath, out var schema);
            Assert.NotNull(loaded);
            Assert.Equal(["label", "sentence"], schema.Select(c => c.Name).Order());

            string[] texts = ["a gorgeous, witty film", "a dull mess", "the plot makes no sense at all", "warm, funny and beautifully acted"];
            var input = Path.Combine(folder.FullName, "texts.txt");
            File.WriteAllLines(input, texts);
            var predict = tool.Run("predict", "--model", modelPath, "--input", input);
            Assert.True(predict.ExitCode == 0, predict.ToString());
            var lines = predict.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r').Split('\t')).ToArray();
            Assert.Equal(texts.Length, lines.Length);
            for (int i = 0; i < texts.Length; i++)
            {
                Assert.Contains(lines[i][0], new[] { "0", "1" });        // SST-2's labels
                Assert.InRange(double.Parse(lines[i][1], System.Globalization.CultureInfo.InvariantCulture), 0.5, 1.0);
                Assert.Equal(texts[i], lines[i][2]);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}

/// <summary>The deltalora tool installed once per test class from artifacts/packages into a temporary --tool-path, removed after.</summary>
public sealed class InstalledTool : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("deltalora-tool-");
    private readonly Lazy<string> _executable;

    public InstalledTool() => _executable = new Lazy<string>(Install);

    public ToolRun Run(params string[] args) => ToolRun.Of(_executable.Value, args, TimeSpan.FromMinutes(5));

    private string Install()
    {
        // A NuGet.config that clears the user's sources, so that --add-source is the only feed: the package tested is the one
        // just packed, never a same-named package from nuget.org.
        var workingFolder = Directory.CreateDirectory(Path.Combine(_root.FullName, "work")).FullName;
        File.WriteAllText(Path.Combine(workingFolder, "NuGet.config"), "<configuration><packageSources><clear /></packageSources></configuration>");
        var toolPath = Path.Combine(_root.FullName, "tools");
        var install = ToolRun.Of("dotnet", ["tool", "install", "deltalora", "--tool-path", toolPath,
            "--add-source", Path.Combine(Locations.RepositoryRoot, "artifacts", "packages"), "--version", ToolPackage.Version], TimeSpan.FromMinutes(5), workingFolder);
        Assert.True(install.ExitCode == 0, install.ToString());
        var executable = Path.Combine(toolPath, OperatingSystem.IsWindows() ? "deltalora.exe" : "deltalora");
        Assert.True(File.Exists(executable), $"dotnet tool install did not create {executable}.\n{install}");
        return executable;
    }

    public void Dispose() => _root.Delete(recursive: true);
}

public sealed record ToolRun(int ExitCode, string Output, string Error)
{
    public static ToolRun Of(string fileName, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} ran past {timeout}.");
        }
        return new ToolRun(process.ExitCode, output.Result, error.Result);
    }

    public override string ToString() => $"exit code {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

internal static class ToolPackage
{
    /// <summary>The tool is versioned with the library (both 0.1.0 today): the version of the library package this project restored.</summary>
    public static string Version { get; } = typeof(DeltaLoRAOptions).Assembly.GetName().Version!.ToString(3);

    public static string Path(string id)
    {
        var path = System.IO.Path.Combine(Locations.RepositoryRoot, "artifacts", "packages", $"{id}.{Version}.nupkg");
        Assert.True(File.Exists(path), $"Expected {path}, packed by build/run-tests.sh.");
        return path;
    }

    public static XElement Metadata(ZipArchive package, string id)
    {
        using var nuspec = package.GetEntry($"{id}.nuspec")!.Open();
        return XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    public static string Value(XElement metadata, string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;

    public static string PackageType(XElement metadata)
        => metadata.Descendants().Single(e => e.Name.LocalName == "packageType").Attribute("name")!.Value;
}

/// <summary>The platforms the tool ships for: those TorchSharp-cpu has a libtorch for.</summary>
internal static class ToolPlatform
{
    public static readonly string[] NativeTorchFiles = ["libtorch_cpu.so", "torch_cpu.dll", "libtorch_cpu.dylib"];

    public static (string Rid, string NativeTorch)? Current { get; } = (RuntimeInformation.OSArchitecture, OperatingSystem.IsLinux(), OperatingSystem.IsWindows(), OperatingSystem.IsMacOS()) switch
    {
        (Architecture.X64, true, _, _) => ("linux-x64", "libtorch_cpu.so"),
        (Architecture.X64, _, true, _) => ("win-x64", "torch_cpu.dll"),
        (Architecture.Arm64, _, _, true) => ("osx-arm64", "libtorch_cpu.dylib"),
        _ => null,
    };
}

/// <summary>A fact about the installed tool: skipped where the tool has no package (no libtorch for the platform), or without ../shared when it needs it.</summary>
public sealed class ToolPlatformFactAttribute : FactAttribute
{
    public ToolPlatformFactAttribute()
    {
        if (ToolPlatform.Current is null)
            Skip = $"The deltalora tool ships for linux-x64, win-x64 and osx-arm64 (TorchSharp-cpu's libtorch), not {RuntimeInformation.RuntimeIdentifier}; build/run-tests.sh did not pack it.";
    }

    /// <summary>Also skipped when ../shared (the tiny BERT fixture and the SST-2 rows) is absent.</summary>
    public bool NeedsSharedFixtures
    {
        get => _needsSharedFixtures;
        set
        {
            _needsSharedFixtures = value;
            if (value && Skip is null && Locations.Shared is null)
                Skip = "../shared (the tiny BERT fixture and the SST-2 rows) is not beside the repository root; set DELTALORA_SHARED to its path to run this test.";
        }
    }

    private bool _needsSharedFixtures;
}
