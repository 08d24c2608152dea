using System.Diagnostics;
using System.Globalization;
using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Reporting;

namespace DeltaLoRA.Bench.Study;

/// <summary>
/// Calibration against the published numbers: per task, method and seed, one run on the task's whole training split (less the
/// study's validation split), for up to <see cref="CalibrationPlan.MaxEpochsFor"/> epochs with the trainer's early stopping on that
/// validation split, at a rate chosen beforehand (no selection here), scored on the official dev split. Runs are made in the order
/// of the settings' tasks and methods, appended to calibration.csv as they finish (each step's loss to losses.csv), and skipped
/// when already there; calibration.md is rewritten from calibration.csv after every run, so it always shows what has finished.
/// </summary>
internal static class CalibrationRunner
{
    public const string SummaryFileName = "calibration.md";

    public static CalibrationLog Run(StudySettings settings, CalibrationPlan plan, TextWriter log)
    {
        settings.Validate();
        Directory.CreateDirectory(settings.OutputFolder);
        var runs = CalibrationLog.Open(Path.Combine(settings.OutputFolder, CalibrationLog.FileName));
        // Every rate is known before the first run, so that a missing one fails now rather than hours in.
        var rates = settings.Tasks.SelectMany(t => settings.Methods.Select(m => (t, m))).ToDictionary(c => c, c => plan.RateFor(c.t, c.m));
        foreach (var task in settings.Tasks)
        {
            var taskSettings = settings with { Tasks = [task], Steps = null, Epochs = plan.MaxEpochsFor(task) };
            using var study = new StudyRunner(taskSettings, log);
            var data = study.PrepareData(task);
            var setup = new CalibrationSetup(taskSettings.Epochs!.Value, plan.Patience, settings.Rank, settings.Alpha, settings.BatchSize, settings.MaxSequenceLength);
            foreach (var method in settings.Methods)
            {
                foreach (int seed in study.FinalSeeds)
                {
                    var spec = study.Spec(data, method, RunPhase.Calibrate, rates[(task, method)], seed);
                    if (runs.Contains(CalibrationRecord.KeyOf(spec, setup)))
                    {
                        log.WriteLine($"  [{spec.Label}] already in {CalibrationLog.FileName}, skipped");
                        continue;
                    }
                    log.WriteLine($"  [{spec.Label}] starting: up to {setup.MaxEpochs} epochs ({spec.Steps} steps), early-stopping patience {setup.Patience}");
                    log.Flush();
                    var record = RunOne(spec, setup, data, taskSettings, study.Losses, plan.Commit, log);
                    runs.Append(record);
                    WriteSummary(runs);
                    log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  [{spec.Label}] {record.EpochsRun} epoch(s), kept epoch {record.BestEpoch}; validation {record.ValidationScore:0.0000}, dev {string.Join(", ", record.Dev.Reported().Select(m => $"{m.Name} {m.Value:0.0000}"))}; train {record.TrainSeconds:0} s, CPU {record.CpuSeconds:0} s"));
                    log.Flush();
                }
            }
        }
        var summary = WriteSummary(runs);
        log.WriteLine($"Calibration summary written to {summary}");
        return runs;
    }

    /// <summary>Rewrites calibration.md beside <paramref name="runs"/>' file; returns its path.</summary>
    public static string WriteSummary(CalibrationLog runs)
    {
        var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(runs.Path))!, SummaryFileName);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, CalibrationMarkdown.Render(runs.Records));
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    private static CalibrationRecord RunOne(RunSpec spec, CalibrationSetup setup, TaskData data, StudySettings settings, LossLog losses, string commit, TextWriter log)
    {
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var result = FineTuneRunner.Run(spec, data, settings, log, setup.Patience);
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        losses.Append(spec, result.Losses);
        var r = result.Record;
        string metric = data.Task.IsRegression ? CalibrationRecord.MeanSquaredError : CalibrationRecord.Accuracy;
        return new CalibrationRecord(spec, setup, metric, result.ValidationByEpoch ?? [], r.ValidationScore, r.DevScores, r.WarmupSteps,
            r.TrainSeconds, r.EvalSeconds, cpuSeconds, commit, DateTime.UtcNow);
    }
}

/// <summary>
/// What a calibration runs beyond the study's settings: the epoch budget per task, the early-stopping patience, each task ×
/// method's learning rate (given per method, else read from a study's chosen rates), and the commit recorded with each run.
/// </summary>
internal sealed record CalibrationPlan(IReadOnlyDictionary<string, int> MaxEpochsByTask, int Patience, IReadOnlyDictionary<StudyMethod, double> GivenRates,
    ChosenRates? StudyRates, string Commit)
{
    /// <summary>The issue's budgets: SST-2 (67,349 rows) 3 epochs, the small tasks 10, since their published numbers come from longer training.</summary>
    public static IReadOnlyDictionary<string, int> DefaultMaxEpochs { get; } = new Dictionary<string, int>
    {
        [GlueTask.Sst2.Name] = 3, [GlueTask.Mrpc.Name] = 10, [GlueTask.Rte.Name] = 10, [GlueTask.Stsb.Name] = 10, [GlueTask.Cola.Name] = 10,
    };

    public const int DefaultPatience = 2;

    public int MaxEpochsFor(GlueTask task) => MaxEpochsByTask.TryGetValue(task.Name, out int epochs)
        ? epochs
        : throw new ArgumentOutOfRangeException("--epochs", task.Name, $"No epoch budget for {task.Name}; give --epochs.");

    public double RateFor(GlueTask task, StudyMethod method)
    {
        if (!method.FineTunes()) throw new ArgumentOutOfRangeException("--methods", method, "Calibration fine-tunes: DeltaLoRA, LoRA or Full.");
        if (GivenRates.TryGetValue(method, out double given)) return given;
        return StudyRates?.For(task, method)
            ?? throw new ArgumentOutOfRangeException("--rates", method,
                StudyRates is null
                    ? $"No learning rate for {method}: give --lr-grid {method}=RATE or --rates with a study's runs.csv."
                    : $"'{StudyRates.Source}' has no final {method} runs on {task.Name}; give --lr-grid {method}=RATE.");
    }
}
