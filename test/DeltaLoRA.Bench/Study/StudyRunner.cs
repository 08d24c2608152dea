using System.Globalization;
using DeltaLoRA.Bench.Embeddings;
using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Reporting;

namespace DeltaLoRA.Bench.Study;

/// <summary>
/// Runs a study: for each task and method, learning-rate selection (one run per grid value at the selection seed, judged
/// on the validation split carved from the training subsample; dev is never looked at), then the final runs at the chosen
/// rate with seeds 1..N, scored on dev. The frozen baseline has no learning rate and only makes final runs. Runs already in
/// runs.csv are skipped, so an interrupted study resumes; the report is written at the end.
/// </summary>
internal sealed class StudyRunner : IDisposable
{
    public const string RunsFileName = "runs.csv";
    public const string LossesFileName = "losses.csv";

    private readonly StudySettings _settings;
    private readonly TextWriter _log;
    private RunLog? _runs;
    private readonly LossLog _losses;
    private SentenceEmbedder? _embedder;

    public StudyRunner(StudySettings settings, TextWriter log)
    {
        settings.Validate();
        _settings = settings;
        _log = log;
        Directory.CreateDirectory(settings.OutputFolder);
        _losses = LossLog.Open(Path.Combine(settings.OutputFolder, LossesFileName));
    }

    /// <summary>Identifies the model in runs.csv: the default model or the folder given.</summary>
    public string ModelName => ModelNameOf(_settings.ModelPath);

    /// <summary>How runs.csv names the model of <paramref name="modelPath"/> (null: the library's default model).</summary>
    public static string ModelNameOf(string? modelPath) => modelPath is null ? "default(use-lite)" : Path.GetFullPath(modelPath);

    public StudyOutcome Run()
    {
        var records = new List<RunRecord>();
        var chosen = new Dictionary<(string Task, StudyMethod Method), double>();
        foreach (var task in _settings.Tasks)
        {
            var data = PrepareData(task);
            TaskFeatures? features = null;
            foreach (var method in _settings.Methods)
            {
                if (!method.FineTunes())
                {
                    foreach (int seed in FinalSeeds)
                        records.Add(RunOnce(Spec(data, method, RunPhase.Final, null, seed), data, () => features ??= ComputeFeatures(data)));
                    continue;
                }
                double learningRate = ChooseLearningRate(data, method, records);
                chosen[(task.Name, method)] = learningRate;
                foreach (int seed in FinalSeeds)
                    records.Add(RunOnce(Spec(data, method, RunPhase.Final, learningRate, seed), data, null));
            }
        }
        var outcome = new StudyOutcome(_settings, records, chosen, _losses);
        StudyReport.Write(outcome, _settings.OutputFolder);
        _log.WriteLine($"Report written to {Path.GetFullPath(_settings.OutputFolder)}");
        return outcome;
    }

    /// <summary>The task's training subsample, validation split and dev rows, as every method of the study sees them.</summary>
    public TaskData PrepareData(GlueTask task)
    {
        var data = TaskData.Prepare(task, _settings.GlueRoot, _settings.TrainSize, _settings.ValidationFraction, _settings.DevSize, _settings.DataSeed);
        _log.WriteLine($"== {task.Name}: {data.Train.Count} training rows, {data.Validation.Count} validation rows (from a {data.Train.Count + data.Validation.Count}-row subsample of {data.OfficialTrainRows}), {data.Dev.Count} dev rows; {_settings.StepsFor(data)} steps per fine-tuning run");
        return data;
    }

    public IEnumerable<int> FinalSeeds => Enumerable.Range(1, _settings.SeedCount);

    /// <summary>The grid value with the best validation score at the selection seed (runs made or read back are added to <paramref name="records"/>).</summary>
    public double ChooseLearningRate(TaskData data, StudyMethod method, List<RunRecord> records)
    {
        var grid = _settings.GridFor(method);
        if (grid.Length == 1) return grid[0];
        RunRecord? best = null;
        foreach (double learningRate in grid)
        {
            var record = RunOnce(Spec(data, method, RunPhase.Select, learningRate, _settings.SelectionSeed), data, null);
            records.Add(record);
            // NaN (a diverged run, or a constant prediction on STS-B) never wins; ties go to the earlier grid value.
            if (best is null || double.IsNaN(best.ValidationScore) || record.ValidationScore > best.ValidationScore) best = record;
        }
        _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {data.Task.Name} {method}: learning rate {best!.Spec.LearningRate:R} chosen on validation ({best.ValidationScore:0.0000})"));
        return best.Spec.LearningRate!.Value;
    }

    /// <summary>The spec of a run in this study's configuration (λ and K only for Delta-LoRA; LoRA records λ 0).</summary>
    public RunSpec Spec(TaskData data, StudyMethod method, string phase, double? learningRate, int seed, double? updateRatio = null, int? startSteps = null)
    {
        int steps = _settings.StepsFor(data);
        int warmup = _settings.WarmupStepsFor(steps);
        (double? lambda, int? k) = method switch
        {
            StudyMethod.DeltaLoRA => (updateRatio ?? _settings.UpdateRatio, startSteps ?? _settings.StartSteps ?? warmup),
            StudyMethod.LoRA => (0.0, (int?)null),
            _ => ((double?)null, (int?)null),
        };
        string targets = !data.Task.IsRegression ? "" : _settings.StandardizeTargets ? RunSpec.StandardizedTargets : RunSpec.RawTargets;
        return new RunSpec(data.Task, method, phase, learningRate, seed, lambda, k, method.FineTunes() ? steps : 0,
            data.Train.Count, data.Validation.Count, data.Dev.Count, targets, ModelName);
    }

    /// <summary>The run's record from runs.csv when it is already there; otherwise makes the run and appends it.</summary>
    public RunRecord RunOnce(RunSpec spec, TaskData data, Func<TaskFeatures>? features)
    {
        if (Runs.TryGet(spec, out var done))
        {
            _log.WriteLine($"  [{spec.Label}] already in {RunsFileName}, skipped");
            return done;
        }
        _log.WriteLine($"  [{spec.Label}] starting");
        var result = spec.Method.FineTunes()
            ? FineTuneRunner.Run(spec, data, _settings, _log)
            : FrozenEmbeddingRunner.Run(spec, data, (features ?? throw new InvalidOperationException("The frozen baseline needs features.")).Invoke(),
                _settings.TargetScalingFor(data));
        _losses.Append(spec, result.Losses);
        Runs.Append(result.Record);
        var r = result.Record;
        _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  [{spec.Label}] validation {r.ValidationScore:0.0000}, dev {(r.Dev is null ? "not scored (selection)" : string.Join(", ", r.Dev.Reported().Select(m => $"{m.Name} {m.Value:0.0000}")))}, train {r.TrainSeconds:0.0} s"));
        _log.Flush();
        return r;
    }

    private TaskFeatures ComputeFeatures(TaskData data)
    {
        _embedder ??= SentenceEmbedders.Open(_settings.ModelPath, _settings.MaxSequenceLength);
        return TaskFeatures.Compute(_embedder, data);
    }

    public LossLog Losses => _losses;
    /// <summary>runs.csv, opened (or started) on first use: calibration runs keep their own file and never create it.</summary>
    public RunLog Runs => _runs ??= RunLog.Open(Path.Combine(_settings.OutputFolder, RunsFileName));
    public StudySettings Settings => _settings;

    public void Dispose() => _embedder?.Dispose();
}
