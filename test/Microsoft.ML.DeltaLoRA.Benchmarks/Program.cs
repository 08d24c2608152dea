using BenchmarkDotNet.Running;
using Microsoft.ML.DeltaLoRA;
using Microsoft.ML.DeltaLoRA.Benchmarks;

// report [layers] [timing rounds] [memory rounds]   (default 12 6 1): step time and peak memory of the three methods, as ratios to LoRA
// child METHOD LAYERS BATCH SEQUENCE WARMUP TIMED: one measurement (started by report)
// bdn [BenchmarkDotNet arguments]: the BenchmarkDotNet benchmarks
var mode = args.Length > 0 ? args[0] : "report";
switch (mode)
{
    case "child":
        var settings = new RunSettings(int.Parse(args[2]), int.Parse(args[3]), int.Parse(args[4]), int.Parse(args[5]), int.Parse(args[6]));
        Console.WriteLine(MethodRun.Serialize(MethodRun.Measure(Enum.Parse<FineTuningMethod>(args[1]), settings)));
        return 0;
    case "bdn":
        BenchmarkSwitcher.FromAssembly(typeof(StepBenchmarks).Assembly).Run(args[1..]);
        return 0;
    case "report":
        int layers = args.Length > 1 ? int.Parse(args[1]) : 12;
        int timingRounds = args.Length > 2 ? int.Parse(args[2]) : 6;
        int memoryRounds = args.Length > 3 ? int.Parse(args[3]) : 1;
        return ReportRunner.Run(new RunSettings(layers, BatchSize: 16, SequenceLength: 128, WarmupSteps: 2, TimedSteps: 2), memoryRounds, timingRounds);
    default:
        Console.Error.WriteLine($"Unknown mode '{mode}'; use report, child or bdn.");
        return 2;
}
