using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Training;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>What one child process measured under one thread setting.</summary>
internal sealed record ThreadProbe(double GemmGflops, double BatchedSeconds, int Rows, double PerRowSeconds, int PerRowRows, double TrainStepMilliseconds);

/// <summary>
/// libtorch's CPU kernels run on an OpenMP (libgomp) pool whose idle threads spin before they sleep. On a machine whose cores
/// are busy with other processes, a spinning thread holds a core that the pool's other thread needs to reach the next barrier,
/// so every parallel region can stall for a scheduler time slice. This compares, in child processes started in turn (the
/// variables must be set before libgomp loads), libgomp's default against OMP_WAIT_POLICY=PASSIVE (sleep at once), a short spin
/// (GOMP_SPINCOUNT=10000, libgomp's default being 300,000) and OMP_NUM_THREADS=1, on
/// the default model: a 2048² GEMM, batched PredictRaw over the SST-2 dev sentences, one-row PredictRaw, and a LoRA step.
/// </summary>
internal static class ThreadSettingsComparison
{
    private const string ResultPrefix = "THREADS ";

    public static readonly (string Name, Dictionary<string, string> Environment)[] Variants =
    [
        ("libgomp default", new()),
        ("OMP_WAIT_POLICY=PASSIVE", new() { ["OMP_WAIT_POLICY"] = "PASSIVE" }),
        ("GOMP_SPINCOUNT=10000", new() { ["GOMP_SPINCOUNT"] = "10000" }),
        ("OMP_NUM_THREADS=1", new() { ["OMP_NUM_THREADS"] = "1" }),
    ];

    public static string Run(string devFile, int rounds, Action<string> log)
    {
        var results = Variants.ToDictionary(v => v.Name, _ => new List<ThreadProbe>());
        for (int round = 1; round <= rounds; round++)
        {
            foreach (var (name, environment) in Variants)
            {
                var probe = RunChild(environment, devFile);
                results[name].Add(probe);
                log($"  threads round {round} {name}: GEMM {probe.GemmGflops:F0} GFLOP/s, batched {probe.BatchedSeconds:F2} s, one row {probe.PerRowSeconds / probe.PerRowRows * 1000:F1} ms, LoRA step {probe.TrainStepMilliseconds:F0} ms");
            }
        }
        var md = new StringBuilder();
        md.AppendLine($"USE-Lite; child processes started in turn, {rounds} round(s), medians. Batched: PredictRaw over the {results.First().Value[0].Rows} SST-2 dev sentences in batches of 32;");
        md.AppendLine($"one row: PredictRaw of {results.First().Value[0].PerRowRows} sentences one at a time; LoRA step: batch 16 × 128.");
        md.AppendLine();
        md.AppendLine("| setting | GEMM 2048² | batched rows/s | one-row rows/s | LoRA step |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var (name, _) in Variants)
        {
            var runs = results[name];
            md.AppendLine($"| {name} | {Statistics.Median(runs.Select(r => r.GemmGflops)):F0} GFLOP/s | {Statistics.Median(runs.Select(r => r.Rows / r.BatchedSeconds)):F0} | "
                + $"{Statistics.Median(runs.Select(r => r.PerRowRows / r.PerRowSeconds)):F0} | {Statistics.Median(runs.Select(r => r.TrainStepMilliseconds)):F0} ms |");
        }
        return md.ToString();
    }

    /// <summary>The child's side (mode <c>threads-child DEVFILE</c>).</summary>
    public static string Measure(string devFile)
    {
        var sentences = File.ReadLines(devFile).Skip(1).Select(line => line.Split('\t')[0]).ToArray();
        double gemm = GemmPeak.Probe();
        using var model = TextClassificationModel.LoadPretrained(NamedModels.UseLite.Name, BenchmarkModel.NumLabels);
        model.PredictRaw(sentences.Take(64).ToArray(), null, 128, 32); // warm-up
        var stopwatch = Stopwatch.StartNew();
        model.PredictRaw(sentences, null, 128, 32);
        double batched = stopwatch.Elapsed.TotalSeconds;
        const int perRowRows = 64;
        stopwatch.Restart();
        foreach (var sentence in sentences.Take(perRowRows)) model.PredictRaw([sentence], null, 128, 1);
        double perRow = stopwatch.Elapsed.TotalSeconds;

        var settings = new RunSettings(BenchmarkModel.UseLiteKey, 0, 16, 128, 0, 0);
        using var tuner = new FineTuner(model.Network, settings.Options(FineTuningMethod.LoRA), totalSteps: 4);
        using var batch = new TrainingBatch(BenchmarkModel.UseLite(), settings);
        tuner.Step(batch.Batch, batch.Labels);
        var steps = new double[3];
        for (int i = 0; i < steps.Length; i++)
        {
            stopwatch.Restart();
            tuner.Step(batch.Batch, batch.Labels);
            steps[i] = stopwatch.Elapsed.TotalMilliseconds;
        }
        return ResultPrefix + JsonSerializer.Serialize(new ThreadProbe(gemm, batched, sentences.Length, perRow, perRowRows, Statistics.Median(steps)));
    }

    private static ThreadProbe RunChild(Dictionary<string, string> environment, string devFile)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, UseShellExecute = false };
        start.Environment.Remove("OMP_WAIT_POLICY");
        start.Environment.Remove("OMP_NUM_THREADS");
        start.Environment.Remove("GOMP_SPINCOUNT");
        foreach (var (name, value) in environment) start.Environment[name] = value;
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find this program's path to start a child process.");
        start.FileName = self;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(ThreadSettingsComparison).Assembly.Location);
        start.ArgumentList.Add("threads-child");
        start.ArgumentList.Add(devFile);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {self}.");
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith(ResultPrefix, StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null) throw new InvalidOperationException($"The thread-settings child failed (exit code {process.ExitCode}): {output}");
        return JsonSerializer.Deserialize<ThreadProbe>(line[ResultPrefix.Length..]) ?? throw new InvalidDataException($"Could not read '{line}'.");
    }
}
