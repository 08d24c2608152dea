using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.ML.DeltaLoRA.Benchmarks;
using TorchSharp;

namespace Microsoft.ML.DeltaLoRA.GpuCheck;

/// <summary>Runs the chosen checks on one device and writes report.md and report.json. Exit code 0: all pass; 1: a check failed; 2: bad arguments.</summary>
internal static class GpuCheckProgram
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter errors)
    {
        CheckOptions options;
        try
        {
            options = CheckOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            errors.WriteLine(e.Message);
            return 2;
        }
        if (options.Threads is int threads) torch.set_num_threads(threads);
        var device = options.Device();
        var report = new CheckReport
        {
            Device = options.DeviceName,
            // Step times depend on the processor and on what else runs: name both (our machines are not all the same CPU).
            Machine = $"{MachineState.CpuModel()}, {Environment.ProcessorCount} cores, load average {MachineState.LoadAverage()}, "
                + $"torch threads {torch.get_num_threads()}, CUDA devices {(torch.cuda.is_available() ? torch.cuda.device_count() : 0)}, "
                + $"{RuntimeInformation.OSDescription}, .NET {Environment.Version}",
            StartedUtc = DateTime.UtcNow,
        };
        string work = Path.Combine(options.OutputFolder, "work");
        Directory.CreateDirectory(work);
        foreach (var section in options.Sections)
        {
            var stopwatch = Stopwatch.StartNew();
            output.WriteLine($"gpu-check: {section} on {options.DeviceName} ...");
            SectionResult result;
            try
            {
                result = section switch
                {
                    "trajectories" => TrajectoryCheck.Run(options, device),
                    "update" => UpdatePlacementCheck.Run(options, device),
                    "trainer" => PublicTrainerCheck.Run(options, work),
                    _ => StepTimings.Run(options, device),
                };
            }
            catch (Exception e)
            {
                // A check that throws is a finding, not the end of the run: the other checks still report.
                result = new SectionResult(section, $"{section}: threw");
                result.Fail($"{e.GetType().Name}: {e.Message}");
                errors.WriteLine(e);
            }
            output.WriteLine($"gpu-check: {section}: {(result.Passed ? "pass" : "FAIL")} ({stopwatch.Elapsed.TotalSeconds:0.0} s)");
            report.Sections.Add(result);
            report.Write(options.OutputFolder);
        }
        report.Write(options.OutputFolder);
        output.WriteLine($"gpu-check: {(report.Passed ? "pass" : "FAIL")}; report in {options.OutputFolder}");
        return report.Passed ? 0 : 1;
    }
}
