using BenchmarkDotNet.Running;
using Microsoft.ML.DeltaLoRA.Benchmarks;

// perf [options]: the markdown performance report (GEMM peak, training throughput/MFU/ratios/memory, ML.NET inference); see PerfOptions.Usage
// gemm [sizes]: the GEMM peak alone
// child METHOD MODEL LAYERS BATCH SEQUENCE WARMUP TIMED: one peak-memory measurement (started by perf)
// bdn [BenchmarkDotNet arguments]: the BenchmarkDotNet micro-benchmarks (update rule, adapter forward/backward, optimizer step)
var mode = args.Length > 0 ? args[0] : "perf";
switch (mode)
{
    case "perf":
    case "report":
        return PerfReport.Run(PerfOptions.Parse(args[1..]));
    case "gemm":
        var sizes = args.Length > 1 ? args[1..].Select(int.Parse) : [1024, 2048, 4096];
        foreach (var m in GemmPeak.Measure(sizes, repetitions: 6))
            Console.WriteLine($"{m.Size}: best {m.BestGflops:F1} GFLOP/s, median {m.MedianGflops:F1} GFLOP/s");
        return 0;
    case "child":
        var (method, settings) = MethodRun.ParseChildArguments(args[1..]);
        Console.WriteLine(MethodRun.Serialize(MethodRun.Measure(method, settings)));
        return 0;
    case "bdn":
        BenchmarkSwitcher.FromAssembly(typeof(PerfReport).Assembly).Run(args[1..]);
        return 0;
    default:
        Console.Error.WriteLine($"Unknown mode '{mode}'; use perf, gemm, child or bdn.\n{PerfOptions.Usage}");
        return 2;
}
