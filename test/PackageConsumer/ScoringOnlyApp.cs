using System.Diagnostics;
using Xunit;

namespace PackageConsumer;

/// <summary>Builds the scoring-only app (ScoringOnly/ScoringOnly.csproj, from the same folder feed) and runs it as a process.</summary>
internal static class ScoringOnlyApp
{
    private static readonly Lazy<string> Built = new(() =>
    {
        var project = Path.Combine(Locations.RepositoryRoot, "test", "PackageConsumer", "ScoringOnly", "ScoringOnly.csproj");
        // A folder of its own, emptied first, so that it holds this build's output only (not, say, a publish with TorchSharp-cpu).
        var output = Path.Combine(Locations.RepositoryRoot, "artifacts", "scoring-only-consumer", "test-build");
        if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        var result = Dotnet("build", project, "-c", "Release", "--nologo", "-v", "quiet", "-o", output);
        Assert.True(result.ExitCode == 0, $"dotnet build of the scoring-only app failed ({result.ExitCode}):\n{result.Output}");
        var app = Path.Combine(output, "ScoringOnly.dll");
        Assert.True(File.Exists(app), $"Expected the scoring-only app at {app}.");
        return app;
    });

    /// <summary>The path of the built app's dll (built once per test run).</summary>
    public static string Build() => Built.Value;

    /// <summary>The app's output lines; fails the test, with its output, when it exits with an error.</summary>
    public static string[] Run(string app, string modelZip, string textsFile)
    {
        var result = Dotnet(app, modelZip, textsFile);
        Assert.True(result.ExitCode == 0, $"The scoring-only app exited with {result.ExitCode}:\n{result.Output}");
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static (int ExitCode, string Output) Dotnet(params string[] arguments)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet {string.Join(' ', arguments)} did not finish within 5 minutes.");
        }
        return (process.ExitCode, output.Result + error.Result);
    }
}
