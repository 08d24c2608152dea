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
        var calls = StudyCalls(output);
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

    [ProgramOnPathFact("bash")]
    public void The_helper_makes_a_seeds_runs_backwards_and_stops_before_the_run_the_job_is_on()
    {
        // Seed 3's pass: its calls after (a)'s two, which come first.
        var jobCalls = StudyCalls(RunDry("1", out _)).Where(call => call.Contains("--seeds 3 ", StringComparison.Ordinal)).Skip(2).ToList();
        Assert.Equal(48, jobCalls.Count);
        // The job is on seed 3's CoLA r 1 LoRA at 1e-3 (its log's last call line; a task's row counts print "== cola: …" after it).
        const string JobLog = "== 17:42:18 (b) seed 3: cola r 1 α 16 LoRA lr 1e-3 → /work/controls/alpha16/r1-cola\n"
            + "== cola: 7696 training rows, 855 validation rows\n";
        int jobAt = jobCalls.FindIndex(call => call.Contains("--rank 1 --alpha 16 --tasks cola --methods LoRA --lr-grid LoRA=1e-3 ", StringComparison.Ordinal));
        Assert.True(jobAt > 0);

        string output = RunDry("1", out int exitCode, ["run-helper", "3"], JobLog);

        Assert.Equal(0, exitCode);
        // Each dry run has its own OUT; the calls must agree up to it.
        static string WithoutOut(string call) => call[..call.IndexOf(" --out ", StringComparison.Ordinal)];
        var expected = jobCalls.Skip(jobAt + 1).Reverse().Select(WithoutOut).ToList();
        Assert.Equal(expected, StudyCalls(output).Select(WithoutOut).ToList());
        Assert.Contains("the job is on cola r 1 α 16 LoRA lr 1e-3; stopped", output);
    }

    [ProgramOnPathFact("bash")]
    public void The_helper_refuses_a_seed_outside_the_plan()
    {
        string output = RunDry("1", out int exitCode, ["run-helper", "4"]);
        Assert.Equal(2, exitCode);
        Assert.Contains("SEED 1, 2 or 3", output);
    }

    private static List<string> StudyCalls(string output) =>
        output.Split('\n').Where(line => line.StartsWith("deltalora-bench study ", StringComparison.Ordinal)).ToList();

    private static string RunDry(string mode, out int exitCode, string[]? action = null, string? controlsLog = null)
    {
        string folder = Path.Combine(Path.GetTempPath(), "controls-dry-" + Guid.NewGuid().ToString("N"));
        try
        {
            if (controlsLog is not null)
            {
                Directory.CreateDirectory(folder);
                File.WriteAllText(Path.Combine(folder, "controls.log"), controlsLog);
            }
            string[] arguments = [Script, .. action ?? ["run"], folder];
            var (code, output, error) = UseLiteTestEnvironment.Run("bash", arguments, UseLiteTestEnvironment.RepositoryRoot,
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
