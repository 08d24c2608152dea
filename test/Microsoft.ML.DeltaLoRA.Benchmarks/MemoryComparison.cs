using System.Diagnostics;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>
/// Peak memory of each method, each in its own child process (this program's <c>child</c> mode), median over rounds.
/// The children run with <c>MALLOC_MMAP_THRESHOLD_=131072</c>: a fixed mmap threshold stops glibc from raising it after large
/// frees, so freed tensor memory goes back to the OS and the peak resident set tracks live allocations instead of how the heap
/// happened to fragment (without it, two runs of the same method differed by about 3 %).
/// </summary>
internal static class MemoryComparison
{
    public static Dictionary<FineTuningMethod, List<MethodMeasurement>> Measure(RunSettings settings, int rounds, Action<string> log)
    {
        var results = InterleavedTiming.Order.ToDictionary(m => m, _ => new List<MethodMeasurement>());
        for (int round = 1; round <= rounds; round++)
        {
            foreach (var method in InterleavedTiming.Order)
            {
                var measurement = RunChild(method, settings);
                results[method].Add(measurement);
                log($"  {settings.ModelKey} memory round {round} {method}: peak RSS {measurement.PeakRssBytes / 1048576.0:F0} MiB");
            }
        }
        return results;
    }

    private static MethodMeasurement RunChild(FineTuningMethod method, RunSettings settings)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, UseShellExecute = false };
        start.Environment["MALLOC_MMAP_THRESHOLD_"] = "131072";
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find this program's path to start a child process.");
        start.FileName = self;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(MemoryComparison).Assembly.Location);
        foreach (var argument in MethodRun.ChildArguments(method, settings)) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {self}.");
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith(MethodRun.ResultPrefix, StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null)
            throw new InvalidOperationException($"The {method} memory measurement of {settings.ModelKey} failed (exit code {process.ExitCode}): {output}");
        return MethodRun.Deserialize(line);
    }
}
