using DeltaLoRA.Bench;

return BenchCommandLine.Invoke(args, Console.Out);
