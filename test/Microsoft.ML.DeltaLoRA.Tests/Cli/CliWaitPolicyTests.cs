using System.Diagnostics;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;

namespace Microsoft.ML.DeltaLoRA.Tests.Cli;

/// <summary>
/// The tool starts libtorch with OMP_WAIT_POLICY=PASSIVE (idle OpenMP threads sleep at once) unless the user chose a wait policy
/// or a spin count. Read back from libgomp itself in a fresh process: OMP_DISPLAY_ENV=VERBOSE makes it print the settings it
/// took when libtorch loaded, among them the spin count (0 for PASSIVE, 300,000 by default, 3·10^10 for ACTIVE).
/// </summary>
public class CliWaitPolicyTests(CliTrainingFixture trained) : IClassFixture<CliTrainingFixture>
{
    [SharedTheory]
    [InlineData(null, null, "0")]
    [InlineData("OMP_WAIT_POLICY", "ACTIVE", "30000000000")]
    [InlineData("GOMP_SPINCOUNT", "300000", "300000")]
    public void Predict_starts_libtorch_with_the_passive_wait_policy_unless_the_user_set_one(string? variable, string? value, string expectedSpinCount)
    {
        _ = trained.Train;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "deltalora.dll"), "predict", "--model", trained.ModelPath, "--threads", "1", "a fine film" })
            start.ArgumentList.Add(argument);
        foreach (var name in new[] { "OMP_WAIT_POLICY", "GOMP_SPINCOUNT" }) start.Environment.Remove(name);
        start.Environment["OMP_DISPLAY_ENV"] = "VERBOSE";
        if (variable is not null) start.Environment[variable] = value;

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), "predict did not finish within 3 minutes");

        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {error}");
        Assert.EndsWith("\ta fine film", output.Result.TrimEnd());
        Assert.Contains($"GOMP_SPINCOUNT = '{expectedSpinCount}'", error);
    }
}
