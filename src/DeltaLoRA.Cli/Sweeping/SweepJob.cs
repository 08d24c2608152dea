using System.Diagnostics;
using System.Globalization;
using DeltaLoRA.Cli.Commands;
using DeltaLoRA.Cli.Output;
using DeltaLoRA.Cli.Training;
using Microsoft.ML;
using Microsoft.ML.DeltaLoRA;
using Spectre.Console;
using Microsoft.ML.DeltaLoRA.Sweeping;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace DeltaLoRA.Cli.Sweeping;

/// <summary>
/// The <c>sweep</c> command: reads the data as <c>train</c> does, runs a <see cref="DeltaLoRAExperiment"/> (live table of
/// trials), evaluates the best model on the test rows, and writes the best model zip (label mapping included, as <c>train</c>
/// writes it), the trials CSV and the plot of metric against learning rate. Canceled or failed, it writes nothing.
/// </summary>
internal sealed class SweepJob(CliTerminal terminal, SweepSettings settings)
{
    private TrainSettings Input => settings.Input;

    public int Run()
    {
        var clock = Stopwatch.StartNew();
        ThreadsOption.ApplyToScoring(Input.Threads);
        var console = terminal.CreateConsole(settings.Json ? terminal.Error : terminal.Output);
        RequireBudget();
        ModelChoice.Require(Input.ModelPath);
        var defaults = TrainingDefaults.For(Input);
        var model = OutFile.FullPath(settings.Out);
        var stem = Path.ChangeExtension(model, null);
        var (trialsCsv, trialsPlot) = (stem + ".trials.csv", stem + ".trials.png");
        var created = OutFile.Prepare(settings.Out, InputFiles.Of(Input), (model, "model"), (trialsCsv, "trials table"), (trialsPlot, "trials plot"));
        using var outputLock = OutFile.Lock(model, created);

        var ml = new MLContext(Input.Seed);
        LibraryLog.Attach(ml, console, Input.Verbose, nameof(DeltaLoRATrainer), nameof(DeltaLoRAExperiment));
        var data = TrainingData.Prepare(ml, Input, Input.MaxRows ?? defaults.MaxRows);
        var input = TrainerInput.Prepare(ml, data, Input);
        var options = RunOptions.Shared(Input, data, defaults);
        OptionErrors.Validate(options);
        var space = DeltaLoRASearchSpace.ForModel(Input.ModelPath);
        var metric = Input.Task == TaskKind.Classification ? SweepMetric.MicroAccuracy : SweepMetric.RSquared;
        var metricName = Input.Task == TaskKind.Classification ? "accuracy" : "R²";

        console.Write(new Rule("deltalora sweep").LeftJustified());
        console.WriteLine($"Data:   {data.Description}{(input.Classes is { } classes ? $"; {classes} classes" : "")}");
        foreach (var note in data.Notes.Concat(input.LabelWarnings)) terminal.Error.WriteLine($"warning: {note}");
        console.WriteLine($"Model:  {ModelChoice.Describe(Input.ModelPath)}");
        console.WriteLine($"Space:  {Describe(space)}; batch {options.BatchSize}, max length {options.MaxSequenceLength}");
        console.WriteLine(Invariant($"Search: successive halving (η 3, 3 rungs) over Halton samples, validation {metricName} on {(input.Validation is null ? "20% of the training rows" : Input.ValidationDataset)}, seed {Input.Seed}{Budget()}"));

        var experiment = new DeltaLoRAExperiment(ml, options).SetMetric(metric).SetSeed(Input.Seed).SetSearchSpace(space);
        if (input.Validation is not null) experiment.SetValidationData(input.Validation);
        if (settings.MaxSeconds is { } seconds) experiment.SetMaxSeconds(seconds);
        if (settings.MaxTrials is { } trials) experiment.SetMaxTrials(trials);
        using var result = SweepProgressView.Create(console, terminal.Interactive, metricName)
            .Run(progress => experiment.SetProgress(progress).Run(input.Train, terminal.Cancellation));

        var best = result.BestTrial;
        var chain = input.Compose(ml, result.BestModel);
        var report = EvaluationReport.Evaluate(ml, chain.Transform(data.Test), data.Columns.Label.Name, result.BestModel.ScoreColumnName, Input.Task);
        terminal.Cancellation.ThrowIfCancellationRequested();
        ml.Model.SaveAtomically(chain, data.Train.Schema, model);
        TrialsCsv.Write(result.Trials, trialsCsv);
        SweepPlot.Save(result.Trials, best, metricName, trialsPlot, Invariant($"Sweep on {Path.GetFileName(Input.Dataset ?? "the demo data")}: validation {metricName} against learning rate"));

        console.Write(new Rule("best trial").LeftJustified());
        console.WriteLine(Invariant($"Trial {best.Number} of {result.Trials.Count} ({Count(result, SweepTrialStatus.Failed)} failed): {best.Configuration}, rung {best.Rung}, {best.Steps} steps; validation {metricName} {best.Metric:0.0000}"));
        if (best.Options.MaxSteps is null) console.WriteLine($"Train it again: deltalora train <data and model flags> {TrainFlags(best.Options)}");
        ReportTables.WriteEvaluation(console, report, "Test metrics of the best model");
        console.Write(new Rule("outputs").LeftJustified());
        console.WriteLine($"Model:  {model}");
        console.WriteLine($"Trials: {trialsCsv}");
        console.WriteLine($"Plot:   {trialsPlot}");
        console.WriteLine(Invariant($"Time:   {clock.Elapsed.TotalSeconds:0.0} s in all, {result.Elapsed.TotalSeconds:0.0} s sweeping"));

        if (settings.Json)
            terminal.Output.WriteLine(JsonLine.Serialize(Summary(data, result, report, model, trialsCsv, trialsPlot, clock.Elapsed.TotalSeconds)));
        return CliApp.Success;
    }

    private void RequireBudget()
    {
        if (settings.MaxSeconds is null && settings.MaxTrials is null)
            throw new UserErrorException("sweep needs a budget: give --max-seconds, --max-trials or both.");
        if (settings.MaxSeconds is { } seconds && !(seconds > 0 && double.IsFinite(seconds)))
            throw new UserErrorException(Invariant($"--max-seconds must be a positive number of seconds; found {seconds}."));
        if (settings.MaxTrials is < 1)
            throw new UserErrorException($"--max-trials must be at least 1; found {settings.MaxTrials}.");
    }

    private string Budget()
        => (settings.MaxSeconds is { } s ? Invariant($", at most {s} s") : "") + (settings.MaxTrials is { } n ? $", at most {n} trials" : "");

    private static string Describe(DeltaLoRASearchSpace space) => Invariant(
        $"{string.Join("/", space.Methods)}; learning rate {space.AdapterLearningRate.Min:0.#e+0}–{space.AdapterLearningRate.Max:0.#e+0} (full {space.FullLearningRate.Min:0.#e+0}–{space.FullLearningRate.Max:0.#e+0}), ") + Invariant(
        $"rank {string.Join("/", space.Ranks)}, λ {space.UpdateRatio.Min}–{space.UpdateRatio.Max}, K {space.StartStepsFraction.Min:0%}–{space.StartStepsFraction.Max:0%} of the steps, {space.Epochs.Min}–{space.Epochs.Max} epochs");

    /// <summary>The <c>train</c> flags that give a trial's hyper-parameters (a trial at its full budget: train has no step limit).</summary>
    private static string TrainFlags(DeltaLoRAOptions o) => Invariant(
        $"--method {o.Method.ToString().ToLowerInvariant()} --learning-rate {o.LearningRate:0.####e+0} --rank {o.Rank} --alpha {o.Alpha} --update-ratio {o.UpdateRatio:0.####} ") + Invariant(
        $"--start-steps {o.StartSteps} --epochs {o.Epochs}");

    private static int Count(DeltaLoRAExperimentResult result, SweepTrialStatus status) => result.Trials.Count(t => t.Status == status);

    private Dictionary<string, object?> Summary(TrainingData data, DeltaLoRAExperimentResult result, EvaluationReport report,
        string model, string trialsCsv, string trialsPlot, double totalSeconds)
    {
        var best = result.BestTrial;
        var o = best.Options;
        return new()
        {
            ["command"] = "sweep",
            ["task"] = Input.Task.ToString().ToLowerInvariant(),
            ["dataset"] = Input.Dataset is null ? "spam-assassin" : Path.GetFullPath(Input.Dataset),
            ["model"] = ModelChoice.Describe(Input.ModelPath),
            ["train_rows"] = data.TrainRows,
            ["trials"] = result.Trials.Count,
            ["failed_trials"] = Count(result, SweepTrialStatus.Failed),
            ["best"] = new Dictionary<string, object?>
            {
                ["trial"] = best.Number,
                ["rung"] = best.Rung,
                ["steps"] = best.Steps,
                ["validation_metric"] = best.Metric,
                ["method"] = o.Method.ToString(),
                ["learning_rate"] = o.LearningRate,
                ["rank"] = o.Rank,
                ["alpha"] = o.Alpha,
                ["update_ratio"] = o.UpdateRatio,
                ["start_steps"] = o.StartSteps,
                ["epochs"] = o.Epochs,
                ["max_steps"] = o.MaxSteps,
                ["batch_size"] = o.BatchSize,
                ["max_length"] = o.MaxSequenceLength,
                ["seed"] = o.Seed,
            },
            ["validation_metric"] = result.Metric.ToString(),
            ["metrics"] = report.ToJson(),
            ["sweep_seconds"] = Math.Round(result.Elapsed.TotalSeconds, 2),
            ["seconds"] = Math.Round(totalSeconds, 2),
            ["outputs"] = new Dictionary<string, string> { ["model"] = model, ["trials_csv"] = trialsCsv, ["trials_plot"] = trialsPlot },
        };
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
