using Microsoft.ML.DeltaLoRA.Tests.GpuCheck;
using Microsoft.ML.DeltaLoRA.Tests.UseLite;

namespace Microsoft.ML.DeltaLoRA.Tests.Bench;

/// <summary>
/// run-controls-minilm.sh runs for hours in the background: its plan must hold the runs its header promises, and one failed run must
/// stop it (a libtorch load failure once failed every run in turn and the job went through its whole list in seconds).
/// </summary>
public class ControlsDriverTests
{
    private static string Script => Path.Combine(UseLiteTestEnvironment.RepositoryRoot, "test", "DeltaLoRA.Bench", "run-controls-minilm.sh");

    [ProgramOnPathFact("bash")]
    public void The_plan_makes_150_study_calls_each_run_once()
    {
        string output = RunDry("1", out int exitCode);
        Assert.Equal(0, exitCode);
        var calls = output.Split('\n').Where(line => line.StartsWith("deltalora-bench study ", StringComparison.Ordinal)).ToList();
        Assert.Equal(6 + 3 * 48, calls.Count);
        Assert.Equal(calls.Count, calls.Distinct().Count());
        // The α = 2r arm: r 1, 4 and 16, MRPC and SST-2, both methods, 3 seeds.
        Assert.Equal(3 * 3 * 2 * 2, calls.Count(call => !call.Contains("--alpha 16 ", StringComparison.Ordinal)));
        foreach (int seed in new[] { 1, 2, 3 })
            Assert.Equal(50, calls.Count(call => call.Contains($"--seeds {seed} ", StringComparison.Ordinal)));
    }

    [ProgramOnPathFact("bash")]
    public void A_failed_run_stops_the_job_with_its_exit_status()
    {
        string output = RunDry("fail", out int exitCode);
        Assert.Equal(1, exitCode);
        Assert.Single(output.Split('\n'), line => line.StartsWith("== ", StringComparison.Ordinal));
        Assert.Contains("stopped", output);
    }

    private static string RunDry(string mode, out int exitCode)
    {
        string folder = Path.Combine(Path.GetTempPath(), "controls-dry-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, output, error) = UseLiteTestEnvironment.Run("bash", [Script, "run", folder], UseLiteTestEnvironment.RepositoryRoot,
                new Dictionary<string, string> { ["CONTROLS_DRY"] = mode });
            exitCode = code;
            return output + error;
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
