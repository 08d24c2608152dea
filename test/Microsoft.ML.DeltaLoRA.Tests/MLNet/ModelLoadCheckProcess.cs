using System.Diagnostics;
using System.Globalization;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

/// <summary>Runs the ModelLoadCheck console program (copied beside the tests) in a new process: <c>dotnet &lt;dll&gt; args</c>.</summary>
internal static class ModelLoadCheckProcess
{
    /// <param name="extraArguments">Options after the two paths, such as <c>--torch-libraries</c>.</param>
    public static string[] Run(string modelPath, string dataPath, params string[] extraArguments)
        => RunProgram([modelPath, dataPath, .. extraArguments]);

    /// <summary>The libtorch threads a model loaded in a fresh process scores on (<see cref="TorchThreads.DefaultCount"/> there).</summary>
    public static int DefaultThreadCount() => int.Parse(Assert.Single(RunProgram(["--default-threads"])), CultureInfo.InvariantCulture);

    private static string[] RunProgram(IEnumerable<string> arguments)
    {
        var program = Path.Combine(AppContext.BaseDirectory, "Microsoft.ML.DeltaLoRA.ModelLoadCheck.dll");
        Assert.True(File.Exists(program), $"Expected the ModelLoadCheck program at {program}.");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments.Prepend(program)) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("ModelLoadCheck did not finish within 2 minutes.");
        }
        Assert.True(process.ExitCode == 0, $"ModelLoadCheck exited with {process.ExitCode}: {error.Result}");
        return output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
