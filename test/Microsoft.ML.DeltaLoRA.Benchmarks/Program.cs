using BenchmarkDotNet.Running;
using Microsoft.ML.DeltaLoRA.Benchmarks;

// perf [options]: the markdown performance report (GEMM peak, training throughput/MFU/ratios/memory, ML.NET inference); see PerfOptions.Usage
// peers-diagnosis [rounds] [--out FILE]: where our MiniLM inference time goes (Transform's windows, grad mode, threads, GEMM share)
// ort-engine-diagnosis [rounds] [rows]: where the ONNX Runtime engine's MiniLM time goes against ORT on the original model.onnx
// ort-graph-profile [sentences]: ORT's profiler by operator type on the original model.onnx and our two exports (1 thread)
// ort-graph-work [rounds] [sentences]: CPU seconds of our MiniLM export against the original model.onnx (1 thread; usable under load)
// gemm [sizes]: the GEMM peak alone
// threads [rounds]: libgomp's default against OMP_WAIT_POLICY=PASSIVE, GOMP_SPINCOUNT=10000 and OMP_NUM_THREADS=1 (child processes)
// child METHOD MODEL LAYERS BATCH SEQUENCE WARMUP TIMED: one peak-memory measurement (started by perf)
// threads-child DEVFILE: one thread-settings measurement (started by threads)
// peers [options]: ours against PyTorch (training) and ONNX Runtime (inference); see PeerOptions.Usage and setup-peers.sh
// save-sizes: bytes of a model zip saved full and compact, MiniLM and the BERT-base shape (docs/adapters.md)
// bdn [BenchmarkDotNet arguments]: the BenchmarkDotNet micro-benchmarks (update rule, adapter forward/backward, optimizer step)
var mode = args.Length > 0 ? args[0] : "perf";
switch (mode)
{
    case "perf":
    case "report":
        return PerfReport.Run(PerfOptions.Parse(args[1..]));
    case "peers":
        return Microsoft.ML.DeltaLoRA.Benchmarks.Peers.PeerReport.Run(Microsoft.ML.DeltaLoRA.Benchmarks.Peers.PeerOptions.Parse(args[1..]));
    case "peers-diagnosis":
        int outAt = Array.IndexOf(args, "--out");
        var rest = args[1..].Where((_, i) => outAt < 0 || (i + 1 != outAt && i + 1 != outAt + 1)).ToArray();
        return Microsoft.ML.DeltaLoRA.Benchmarks.Peers.InferenceDiagnosis.Run(rest.Length > 0 ? int.Parse(rest[0]) : 5, outAt >= 0 ? args[outAt + 1] : null);
    case "ort-engine-diagnosis":
        return Microsoft.ML.DeltaLoRA.Benchmarks.Peers.OrtEngineDiagnosis.Run(args.Length > 1 ? int.Parse(args[1]) : 8, args.Length > 2 ? int.Parse(args[2]) : 48);
    case "ort-graph-profile":
        return Microsoft.ML.DeltaLoRA.Benchmarks.Peers.OrtEngineDiagnosis.Profile(args.Length > 1 ? int.Parse(args[1]) : 872);
    case "ort-graph-work":
        return Microsoft.ML.DeltaLoRA.Benchmarks.Peers.OrtEngineDiagnosis.Work(args.Length > 1 ? int.Parse(args[1]) : 3, args.Length > 2 ? int.Parse(args[2]) : 872);
    case "gemm":
        var sizes = args.Length > 1 ? args[1..].Select(int.Parse) : [1024, 2048, 4096];
        foreach (var m in GemmPeak.Measure(sizes, repetitions: 6))
            Console.WriteLine($"{m.Size}: best {m.BestGflops:F1} GFLOP/s, median {m.MedianGflops:F1} GFLOP/s");
        return 0;
    case "child":
        var (method, settings) = MethodRun.ParseChildArguments(args[1..]);
        Console.WriteLine(MethodRun.Serialize(MethodRun.Measure(method, settings)));
        return 0;
    case "threads":
        var devFile = SharedFiles.Find("data", "glue", "sst2", "dev.tsv") ?? throw new FileNotFoundException("../shared/data/glue/sst2/dev.tsv was not found; set DELTALORA_SHARED.");
        Console.Write(ThreadSettingsComparison.Run(devFile, args.Length > 1 ? int.Parse(args[1]) : 2, message => Console.Error.WriteLine(message)));
        return 0;
    case "threads-child":
        Console.WriteLine(ThreadSettingsComparison.Measure(args[1]));
        return 0;
    case "save-sizes":
        return SaveSizes.Run();
    case "bdn":
        BenchmarkSwitcher.FromAssembly(typeof(PerfReport).Assembly).Run(args[1..]);
        return 0;
    default:
        Console.Error.WriteLine($"Unknown mode '{mode}'; use perf, peers, peers-diagnosis, gemm, threads, save-sizes or bdn.\n{PerfOptions.Usage}");
        return 2;
}
