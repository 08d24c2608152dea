using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.DeltaLoRA.GpuCheck;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.GpuCheck;

/// <summary>
/// The GPU check (test/DeltaLoRA.GpuCheck) in its CPU mode, on tiny shapes: the same program the GPU machine runs with
/// --device cuda:0, so that what can break without a GPU breaks here. Its trajectory check compares with the shared references
/// and must also fail when a reference is moved.
/// </summary>
public class GpuCheckCpuModeTests
{
    [SharedFact]
    public void Every_check_runs_on_the_cpu_and_the_report_says_pass()
    {
        using var folder = new TemporaryDirectory();
        var (exitCode, output) = Run("--device", "cpu", "--out", folder.Path, "--quick", "--shared", SharedData.Root!);

        Assert.True(exitCode == 0, output);
        using var report = JsonDocument.Parse(File.ReadAllText(folder.File("report.json")));
        Assert.True(report.RootElement.GetProperty("passed").GetBoolean(), output);
        var sections = report.RootElement.GetProperty("sections").EnumerateArray().ToArray();
        Assert.Equal(["trajectories", "update", "trainer", "steps"], sections.Select(s => s.GetProperty("name").GetString()));
        Assert.All(sections, s => Assert.True(s.GetProperty("passed").GetBoolean(), s.GetProperty("name").GetString()));
        Assert.Equal(9, sections[0].GetProperty("table").GetArrayLength());
        Assert.Equal(3, sections[3].GetProperty("table").GetArrayLength());
        Assert.StartsWith("# GPU check on cpu: pass", File.ReadAllText(folder.File("report.md")), StringComparison.Ordinal);
    }

    [SharedFact]
    public void A_reference_loss_moved_by_1e_3_fails_the_trajectory_check_for_that_case_only()
    {
        using var folder = new TemporaryDirectory();
        var shared = Path.Combine(folder.Path, "shared");
        CopyFolder(SharedData.PathOf("fixtures", "trajectories"), Path.Combine(shared, "fixtures", "trajectories"));
        CopyFolder(SharedData.PathOf("fixtures", "hf"), Path.Combine(shared, "fixtures", "hf"));
        var trajectory = Path.Combine(shared, "fixtures", "trajectories", "bert", "trajectory.json");
        var document = JsonNode.Parse(File.ReadAllText(trajectory))!;
        var loss = document["cases"]!["delta"]!["losses"]![2]!["loss"]!;
        document["cases"]!["delta"]!["losses"]![2]!["loss"] = loss.GetValue<double>() + 1e-3;
        File.WriteAllText(trajectory, document.ToJsonString());

        var (exitCode, output) = Run("--device", "cpu", "--out", Path.Combine(folder.Path, "report"), "--sections", "trajectories", "--shared", shared);

        Assert.Equal(1, exitCode);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.Path, "report", "report.json")));
        var section = report.RootElement.GetProperty("sections")[0];
        Assert.False(section.GetProperty("passed").GetBoolean());
        var failures = section.GetProperty("failures").EnumerateArray().Select(f => f.GetString()!).ToArray();
        Assert.Equal(["bert/delta: step 3 loss"], failures.Select(f => f[..f.IndexOf(" is ", StringComparison.Ordinal)]));
        var passing = section.GetProperty("table").EnumerateArray().Where(r => r.GetProperty("pass").GetString() == "yes").Select(r => r.GetProperty("case").GetString());
        Assert.Equal(8, passing.Count());
        Assert.DoesNotContain("bert/delta", passing);
    }

    [Theory]
    [InlineData("--device", "tpu")]
    [InlineData("--device", "cpu")]
    [InlineData("--device", "cpu", "--out", "x", "--sections", "trajectories,speed")]
    public void Bad_arguments_are_refused_with_the_problem_and_the_usage(params string[] args)
    {
        var (exitCode, output) = Run(args);
        Assert.Equal(2, exitCode);
        Assert.Contains("usage: DeltaLoRA.GpuCheck", output, StringComparison.Ordinal);
    }

    private static (int ExitCode, string Output) Run(params string[] args)
    {
        var output = new StringWriter();
        int exitCode = GpuCheckProgram.Run(args, output, output);
        return (exitCode, output.ToString());
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
