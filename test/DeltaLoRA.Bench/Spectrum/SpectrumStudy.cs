using System.Globalization;
using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Study;

namespace DeltaLoRA.Bench.Spectrum;

/// <summary>
/// What each method actually learned: fine-tunes each task with every method at one learning rate common to all of them and
/// one seed, then measures the singular values of W_eff,T − W_0 for every adapted matrix (the query and value projection
/// of every layer; for full fine-tuning the same matrices), W_0 read from the pretrained checkpoint and W_eff,T from the
/// saved ML.NET model (adapters merged), which stays in OUT/models/ for <c>angles</c>. The runs' per-step losses are the loss curves at that common rate. Runs go to
/// runs.csv and losses.csv with phase "spectrum", the spectra to singular-values.csv; runs already there are skipped.
/// Writes spectrum.md and plots/spectrum-*.png, plots/spectrum-loss-*.png.
/// </summary>
internal static class SpectrumStudy
{
    public static IReadOnlyList<GlueTask> DefaultTasks { get; } = [GlueTask.Sst2, GlueTask.Mrpc];
    public static IReadOnlyList<StudyMethod> DefaultMethods { get; } = [StudyMethod.DeltaLoRA, StudyMethod.LoRA, StudyMethod.Full];
    public const double DefaultLearningRate = 5e-4;
    public const string PretrainedWeightsFileName = "model.safetensors";

    public sealed record MethodRun(RunRecord Record, IReadOnlyList<LossPoint> Losses, IReadOnlyDictionary<AdaptedMatrix, WeightChange> Changes);

    public sealed record TaskOutcome(GlueTask Task, IReadOnlyList<MethodRun> Runs);

    public static IReadOnlyList<TaskOutcome> Run(StudyRunner runner, double learningRate, int seed, TextWriter log)
    {
        if (!(learningRate > 0 && double.IsFinite(learningRate))) throw new ArgumentOutOfRangeException("--lr", learningRate, "The common learning rate must be positive.");
        var settings = runner.Settings;
        var pretrained = PretrainedMatrices(settings.ModelPath);
        var values = SingularValueLog.Open(Path.Combine(settings.OutputFolder, SingularValueLog.FileName));
        var outcomes = new List<TaskOutcome>();
        foreach (var task in settings.Tasks)
        {
            var data = runner.PrepareData(task);
            var runs = new List<MethodRun>();
            foreach (var method in settings.Methods.Where(m => m.FineTunes()))
            {
                var spec = runner.Spec(data, method, RunPhase.Spectrum, learningRate, seed);
                var changes = values.For(spec);
                if (runner.Runs.TryGet(spec, out var done) && changes.Count == pretrained.Count)
                {
                    log.WriteLine($"  [{spec.Label}] already measured, skipped");
                    runs.Add(new MethodRun(done, runner.Losses.For(spec), changes));
                    continue;
                }
                runs.Add(Measure(runner, spec, data, pretrained, values, log));
            }
            outcomes.Add(new TaskOutcome(task, runs));
        }
        var markdown = SpectrumReport.Write(outcomes, settings, learningRate, seed);
        log.WriteLine($"Spectrum report written to {markdown}");
        return outcomes;
    }

    /// <summary>The adapted matrices of the pretrained checkpoint (W_0).</summary>
    public static IReadOnlyDictionary<AdaptedMatrix, Float32Tensor> PretrainedMatrices(string? modelFolder)
    {
        if (modelFolder is null)
            throw new ArgumentOutOfRangeException("--model", "default", "The spectrum needs a Hugging Face BERT-family model folder (for example --model minilm), not the default USE-Lite model.");
        var path = Path.Combine(modelFolder, PretrainedWeightsFileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"The spectrum reads W_0 from '{path}', which does not exist (only single-file safetensors checkpoints are read).", path);
        return AdaptedMatrix.Select(Float32Safetensors.Read(File.ReadAllBytes(path), AdaptedMatrix.Is, path), path);
    }

    /// <summary>Where a run's saved model goes: OUT/models/{task}-{method}-lr{rate}-seed{seed}.zip (a full save, which carries the delta).</summary>
    public static string ModelPath(string outputFolder, RunSpec spec)
        => Path.Combine(outputFolder, ModelsFolderName, $"{spec.Task.Name}-{spec.Method}-lr{RunSpec.Format(spec.LearningRate)}-seed{spec.Seed}.zip");

    public const string ModelsFolderName = "models";

    private static MethodRun Measure(StudyRunner runner, RunSpec spec, TaskData data, IReadOnlyDictionary<AdaptedMatrix, Float32Tensor> pretrained,
        SingularValueLog values, TextWriter log)
    {
        log.WriteLine($"  [{spec.Label}] starting");
        var fitted = FineTuneRunner.Fit(spec, data, runner.Settings, log);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Dictionary<AdaptedMatrix, WeightChange> changes;
        RunRecord record;
        try
        {
            var zip = ModelPath(runner.Settings.OutputFolder, spec);
            SavedModelWeights.Save(fitted.Context, fitted.Model, zip);
            var tuned = AdaptedMatrix.Select(Float32Safetensors.Read(SavedModelWeights.ReadStream(zip, SavedModelWeights.WeightsStream), AdaptedMatrix.Is, zip), zip);
            if (!tuned.Keys.ToHashSet().SetEquals(pretrained.Keys))
                throw new InvalidDataException($"The saved model's adapted matrices ({tuned.Count}) are not the pretrained checkpoint's ({pretrained.Count}).");
            changes = pretrained.ToDictionary(p => p.Key, p => WeightChange.Between(p.Value, tuned[p.Key]));
            var validation = FineTuneRunner.Score(fitted.Context, fitted.Model, data.Task, data.Validation);
            var dev = FineTuneRunner.Score(fitted.Context, fitted.Model, data.Task, data.Dev);
            record = new RunRecord(spec, validation.Score, dev, runner.Settings.WarmupStepsFor(spec.Steps), fitted.TrainSeconds, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            FineTuneRunner.Release(fitted.Model);
        }
        values.Append(spec, changes);
        runner.Losses.Append(spec, fitted.Losses);
        runner.Runs.Append(record);
        var ranks = changes.Values.Select(c => c.NumericalRank()).ToArray();
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  [{spec.Label}] dev {record.DevScores.Score:0.0000}; numerical rank of W_eff − W_0 {ranks.Min()}–{ranks.Max()} over {ranks.Length} matrices; train {record.TrainSeconds:0.0} s"));
        log.Flush();
        return new MethodRun(record, fitted.Losses, changes);
    }
}
