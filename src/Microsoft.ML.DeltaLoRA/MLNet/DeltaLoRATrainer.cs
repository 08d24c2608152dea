using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// Fine-tunes a pretrained transformer text model (Delta-LoRA, LoRA or full fine-tuning) for multiclass classification or
/// regression on one text column or a pair of them. Create it with <see cref="DeltaLoRACatalog"/>.
/// </summary>
public sealed class DeltaLoRATrainer : IEstimator<DeltaLoRATransformer>
{
    private readonly IHostEnvironment _environment;

    /// <param name="environment">The MLContext (or another ML.NET environment).</param>
    /// <param name="options">Read and validated when <see cref="Fit"/> starts.</param>
    /// <param name="task">Classification or regression.</param>
    internal DeltaLoRATrainer(IHostEnvironment environment, DeltaLoRAOptions options, PredictionTask task)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        _environment = environment;
        Options = options;
        Task = task;
    }

    internal DeltaLoRAOptions Options { get; }

    internal PredictionTask Task { get; }

    /// <summary>
    /// Checks the input columns, reads the rows (skipping rows whose label is missing), fine-tunes and returns the model.
    /// Throws <see cref="OperationCanceledException"/> when <see cref="DeltaLoRAOptions.CancellationToken"/> or
    /// <c>MLContext.CancelExecution()</c> cancels training; nothing is returned then.
    /// </summary>
    public DeltaLoRATransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var options = ValidatedCopy(Options);
        var (label, _) = InputColumns.RequireLabel(input.Schema, options.LabelColumnName, Task);

        var host = _environment.Register(nameof(DeltaLoRATrainer));
        using var channel = host.Start("Fit");
        // Drawn from the MLContext's random source, so that a seeded MLContext gives the same model.
        options.Seed ??= host.Rand.Next();
        // MLContext.CancelExecution() has no token: it is polled while rows are read and after every optimizer step.
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken);
        void ThrowIfCanceled()
        {
            if (MLNetInternals.IsCanceled(host)) cancellation.Cancel();
            cancellation.Token.ThrowIfCancellationRequested();
        }
        var progress = new StepProgress(report =>
        {
            channel.Info(report.ToString());
            options.Progress?.Report(report);
            if (MLNetInternals.IsCanceled(host)) cancellation.Cancel();
        });

        var (rows, skipped) = TrainingRowReader.Read(input, Task, options, ThrowIfCanceled);
        if (rows.Count == 0)
            throw new InvalidOperationException($"No training rows: all {skipped} rows have a missing label in column '{options.LabelColumnName}'.");
        if (skipped > 0) channel.Warning($"Skipped {skipped} rows whose label in column '{options.LabelColumnName}' is missing.");
        var validation = ReadValidationSet(rows.OutputCount, options, ThrowIfCanceled);
        var columns = new PredictionColumns(Task, options.Sentence1ColumnName, options.Sentence2ColumnName, options.ScoreColumnName,
            options.PredictedLabelColumnName, rows.OutputCount, label.Annotations);

        channel.Info($"Fine-tuning ({options.Method}) on {rows.Count} rows{(validation is null ? "" : $", validating on {validation.Count}")}, {rows.OutputCount} output(s).");
        var (gpuDeviceId, fallbackToCpu) = MLNetInternals.DeviceSettings(_environment);
        var engine = TorchSharpFineTuning.Train(rows, validation, options, gpuDeviceId, fallbackToCpu, channel.Info, progress, cancellation.Token);
        try
        {
            ThrowIfCanceled();
            return new DeltaLoRATransformer(_environment, new BatchScorer(engine, columns, options.InferenceBatchSize));
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    /// <summary>The input columns plus Score (and PredictedLabel for classification), after checking the options and the columns read.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        Options.Validate();
        var label = InputColumns.RequireLabel(inputSchema, Options.LabelColumnName, Task);
        InputColumns.RequireText(inputSchema, Options.Sentence1ColumnName, "text");
        if (Options.Sentence2ColumnName is not null) InputColumns.RequireText(inputSchema, Options.Sentence2ColumnName, "second text");

        var columns = inputSchema.ToDictionary(column => column.Name);
        foreach (var added in PredictionColumns.ShapesOf(Task, Options.ScoreColumnName, Options.PredictedLabelColumnName, label))
            columns[added.Name] = added;
        return new SchemaShape(columns.Values);
    }

    /// <summary>
    /// Where the options are validated, once per fit (one exception listing every problem), and copied, so that changing them
    /// later does not change a running fit.
    /// </summary>
    private static DeltaLoRAOptions ValidatedCopy(DeltaLoRAOptions options)
    {
        var problems = options.Problems();
        if (options.ModelPath is { } path && !Directory.Exists(path) && NamedModels.Find(path) is null)
            problems.Add(new(nameof(DeltaLoRAOptions.ModelPath), $"'{path}', which does not exist",
                $"a local model folder or a model name ({string.Join(", ", NamedModels.All.Select(m => m.Name))})"));
        OptionProblem.ThrowIfAny(problems);
        return (DeltaLoRAOptions)options.Clone();
    }

    private TextTrainingSet? ReadValidationSet(int outputCount, DeltaLoRAOptions options, Action throwIfCanceled)
    {
        if (options.ValidationSet is null) return null;
        var (rows, _) = TrainingRowReader.Read(options.ValidationSet, Task, options, throwIfCanceled);
        if (rows.OutputCount != outputCount)
            throw new InvalidOperationException(
                $"The validation set's label column '{options.LabelColumnName}' has {rows.OutputCount} classes, the training data's has {outputCount}; " +
                "map both with the same MapValueToKey transformer.");
        return rows;
    }

    /// <summary>Calls back on the training thread (<see cref="Progress{T}"/> would post to a synchronization context).</summary>
    private sealed class StepProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
