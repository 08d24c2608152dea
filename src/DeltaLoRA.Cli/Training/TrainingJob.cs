using System.Diagnostics;
using System.Globalization;
using DeltaLoRA.Cli.Commands;
using DeltaLoRA.Cli.Output;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA;
using Microsoft.ML.Runtime;
using Spectre.Console;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace DeltaLoRA.Cli.Training;

/// <summary>
/// The <c>train</c> command: reads the data, fine-tunes (progress bar, loss curve), evaluates on the test rows, saves the
/// model zip with its input schema, writes the loss curve (CSV and PNG), reloads the zip and predicts a few test rows.
/// </summary>
internal sealed class TrainingJob(CliTerminal terminal, TrainSettings settings)
{
    public int Run()
    {
        var clock = Stopwatch.StartNew();
        // Training takes --threads through the options; the reloaded model's scoring through this.
        ThreadsOption.ApplyToScoring(settings.Threads);
        var console = terminal.CreateConsole(settings.Json ? terminal.Error : terminal.Output);
        ModelChoice.Require(settings.ModelPath);
        var defaults = TrainingDefaults.For(settings);
        var outputs = OutputPaths.For(settings.Out, InputFiles.Of(settings));
        using var outputLock = outputs.Lock();
        if (outputs.SharedStemWarning is { } stemWarning) terminal.Error.WriteLine($"warning: {stemWarning}");
        using var interrupt = new InterruptSignal();

        var ml = new MLContext(settings.Seed);
        LibraryLog.Attach(ml, console, settings.Verbose, nameof(DeltaLoRATrainer));
        var data = TrainingData.Prepare(ml, settings, settings.MaxRows ?? defaults.MaxRows);
        var label = data.Columns.Label.Name;
        var options = Options(data, defaults);

        console.Write(new Rule("deltalora train").LeftJustified());
        console.WriteLine($"Data:   {data.Description}");
        foreach (var note in data.Notes) terminal.Error.WriteLine($"warning: {note}");
        console.WriteLine($"Model:  {ModelChoice.Describe(settings.ModelPath)}");
        console.WriteLine(Invariant($"Method: {options.Method}, rank {options.Rank}, alpha {options.Alpha}, update ratio {options.UpdateRatio}{(options.StartSteps is { } k ? $", start steps {k}" : "")}; {options.Epochs} epoch(s), batch {options.BatchSize}, learning rate {options.LearningRate:0.####e+0}, max length {options.MaxSequenceLength}, seed {settings.Seed}"));

        var input = TrainerInput.Prepare(ml, data, settings);
        if (input.Classes is { } classes) console.WriteLine($"Labels: {classes} classes in column '{label}'");
        foreach (var warning in input.LabelWarnings) terminal.Error.WriteLine($"warning: {warning}");
        options.ValidationSet = input.Validation;
        OptionErrors.Validate(options);

        var curve = new LossCurve();
        var metricName = settings.Task == TaskKind.Classification ? "validation accuracy" : "validation -MSE";
        var view = TrainingProgressView.Create(console, terminal.Interactive, options.Epochs, metricName);
        var trainer = settings.Task == TaskKind.Classification
            ? ml.MulticlassClassification.Trainers.DeltaLoRA(options)
            : ml.Regression.Trainers.DeltaLoRA(options);
        var trainingClock = Stopwatch.StartNew();
        options.CancellationToken = interrupt.Token;
        DeltaLoRATransformer scorer;
        try
        {
            scorer = view.Run(progress =>
            {
                options.Progress = new FanOut(progress, curve);
                return trainer.Fit(input.Train);
            });
        }
        catch (OperationCanceledException) when (interrupt.Token.IsCancellationRequested)
        {
            return Cancelled(console, $"after {curve.Points.Count} training step(s); nothing was saved");
        }
        var trainingSeconds = trainingClock.Elapsed.TotalSeconds;
        var model = input.Compose(ml, scorer);

        var report = EvaluationReport.Evaluate(ml, model.Transform(data.Test), label, scorer.ScoreColumnName, settings.Task);
        if (interrupt.Token.IsCancellationRequested) return Cancelled(console, "after training; nothing was saved");
        ml.Model.SaveAtomically(model, data.Train.Schema, outputs.Model);
        if (settings.Save == ModelSaveMode.Compact && scorer.SaveMode != ModelSaveMode.Compact)
            terminal.Error.WriteLine("warning: --save compact: full fine-tuning changes every weight, so the model was saved in full (the whole network).");
        if (interrupt.Token.IsCancellationRequested) return Cancelled(console, $"while saving; the model was saved to {outputs.Model}");
        curve.WriteCsv(outputs.LossCsv);
        LossPlot.Save(curve.Points, outputs.LossPlot, Invariant($"{options.Method} fine-tuning: training loss per step"), metricName);

        ReportTables.WriteEvaluation(console, report, "Test metrics");
        var examples = ExampleRows.Pick(data.Test, data.Columns, settings.Task, settings.Examples);
        if (examples.Count > 0)
        {
            using var reloaded = SavedModel.Load(new MLContext(settings.Seed), outputs.Model);
            PredictionTable.Write(console, reloaded.Predict(examples), $"Predictions of the reloaded {Path.GetFileName(outputs.Model)} on test rows");
        }

        console.Write(new Rule("outputs").LeftJustified());
        console.WriteLine(Invariant($"Model:      {outputs.Model} ({new FileInfo(outputs.Model).Length / 1e6:0.###} MB, {scorer.SaveMode.ToString().ToLowerInvariant()}{(scorer.SaveMode == ModelSaveMode.Compact ? ": the base model by reference plus the delta" : "")})"));
        console.WriteLine($"Loss curve: {outputs.LossCsv}");
        console.WriteLine($"Loss plot:  {outputs.LossPlot}");
        console.WriteLine(Invariant($"Time:       {clock.Elapsed.TotalSeconds:0.0} s in all, {trainingSeconds:0.0} s fine-tuning ({curve.Points.Count} steps)"));
        console.WriteLine($"Next:       deltalora evaluate --model {Quote(outputs.Model)} --dataset <file>   |   deltalora predict --model {Quote(outputs.Model)} \"some text\"");

        if (settings.Json) terminal.Output.WriteLine(JsonLine.Serialize(Summary(data, options, scorer.SaveMode, report, outputs, curve, trainingSeconds, clock.Elapsed.TotalSeconds)));
        scorer.Dispose();
        return CliApp.Success;
    }

    private static int Cancelled(IAnsiConsole console, string when)
    {
        console.WriteLine($"Cancelled by an interrupt (Ctrl-C or SIGTERM) {when}.");
        return CliApp.Canceled;
    }

    private DeltaLoRAOptions Options(TrainingData data, TrainingDefaults defaults)
    {
        var options = RunOptions.Shared(settings, data, defaults);
        options.Method = settings.Method;
        options.SaveMode = settings.Save;
        options.Epochs = settings.Epochs ?? defaults.Epochs;
        options.LearningRate = settings.LearningRate ?? defaults.LearningRateFor(settings.Method);
        options.StartSteps = settings.StartSteps;
        options.EarlyStoppingPatience = settings.EarlyStoppingPatience;
        if (settings.Rank is { } rank) options.Rank = rank;
        options.Alpha = settings.Alpha ?? 2.0 * options.Rank;
        if (settings.UpdateRatio is { } ratio) options.UpdateRatio = ratio;
        if (settings.EarlyStoppingPatience > 0 && data.Validation is null)
            throw new UserErrorException("--early-stopping needs a --validation-dataset to watch.");
        return options;
    }

    private Dictionary<string, object?> Summary(TrainingData data, DeltaLoRAOptions options, ModelSaveMode saved, EvaluationReport report, OutputPaths outputs,
        LossCurve curve, double trainingSeconds, double totalSeconds) => new()
    {
        ["command"] = "train",
        ["task"] = settings.Task.ToString().ToLowerInvariant(),
        ["dataset"] = settings.Dataset is null ? "spam-assassin" : Path.GetFullPath(settings.Dataset),
        ["model"] = ModelChoice.Describe(settings.ModelPath),
        ["method"] = options.Method.ToString(),
        ["save"] = saved.ToString().ToLowerInvariant(),
        ["train_rows"] = data.TrainRows,
        ["epochs"] = options.Epochs,
        ["steps"] = curve.Points.Count,
        ["final_loss"] = curve.Points.Count > 0 ? curve.Points[^1].Loss : double.NaN,
        ["metrics"] = report.ToJson(),
        ["training_seconds"] = Math.Round(trainingSeconds, 2),
        ["seconds"] = Math.Round(totalSeconds, 2),
        ["outputs"] = new Dictionary<string, string> { ["model"] = outputs.Model, ["loss_csv"] = outputs.LossCsv, ["loss_plot"] = outputs.LossPlot },
    };

    private static string Quote(string path) => path.Contains(' ') ? $"\"{path}\"" : path;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Hands each report to every sink, on the training thread.</summary>
    private sealed class FanOut(params IProgress<TrainingProgress>[] sinks) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            foreach (var sink in sinks) sink.Report(value);
        }
    }
}
