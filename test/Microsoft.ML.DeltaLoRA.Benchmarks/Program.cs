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
    case "gemm":
        Console.WriteLine($"threads {TorchSharp.torch.get_num_threads()} interop {TorchSharp.torch.get_num_interop_threads()}");
        foreach (var m in GemmPeak.Measure(args.Skip(1).Select(int.Parse), 5)) Console.WriteLine($"{m.Size}: best {m.BestGflops:F1} median {m.MedianGflops:F1} GFLOP/s");
        return 0;
    case "names":
        {
            var cfg = Microsoft.ML.DeltaLoRA.Checkpoints.EncoderConfig.Parse("""{"model_type":"bert","vocab_size":10,"hidden_size":4,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":8,"max_position_embeddings":16,"type_vocab_size":2}""");
            using var m = Microsoft.ML.DeltaLoRA.Modeling.PretrainedModels.CreateSequenceClassifier(cfg, 2);
            foreach (var (n, p) in m.named_parameters()) Console.WriteLine($"{n} [{string.Join(",", p.shape)}]");
            using var u = new Microsoft.ML.DeltaLoRA.Modeling.UseLite.UseLiteClassifier(new Microsoft.ML.DeltaLoRA.Modeling.UseLite.UseLiteEncoder(), 2);
            foreach (var (n, p) in u.named_parameters()) Console.WriteLine($"{n} [{string.Join(",", p.shape)}]");
            return 0;
        }
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
