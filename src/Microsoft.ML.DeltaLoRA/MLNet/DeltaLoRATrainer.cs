using Microsoft.ML.Runtime;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// Fine-tunes a pretrained transformer text model (Delta-LoRA, LoRA or full fine-tuning) for multiclass classification or
/// regression on one text column or a pair of them. Create it with <see cref="DeltaLoRACatalog"/>.
/// </summary>
public sealed class DeltaLoRATrainer : IEstimator<DeltaLoRATransformer>
{
    private readonly IHostEnvironment _environment;
    private readonly ITextScorerTrainer? _engine;

    /// <param name="environment">The MLContext (or another ML.NET environment).</param>
    /// <param name="options">Read and validated when <see cref="Fit"/> starts.</param>
    /// <param name="task">Classification or regression.</param>
    /// <param name="engine">The fine-tuning engine; null for <see cref="DefaultTextScorerTrainer"/>.</param>
    internal DeltaLoRATrainer(IHostEnvironment environment, DeltaLoRAOptions options, PredictionTask task, ITextScorerTrainer? engine = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        _environment = environment;
        _engine = engine;
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
        var settings = TrainerSettings.From(Options);
        var options = settings.Options;
        var (label, _) = InputColumns.RequireLabel(input.Schema, options.LabelColumnName, Task);

        var host = _environment.Register(nameof(DeltaLoRATrainer));
        using var channel = host.Start("Fit");
        using var session = new TrainingSession(() => MLNetInternals.IsCanceled(host), message => channel.Info(message), options.Progress,
            options.CancellationToken, host.Rand.Next());

        var (rows, skipped) = Read(input, options, session);
        if (rows.Count == 0)
            throw new InvalidOperationException($"No training rows: all {skipped} rows have a missing label in column '{options.LabelColumnName}'.");
        if (skipped > 0) channel.Warning($"Skipped {skipped} rows whose label in column '{options.LabelColumnName}' is missing.");
        var validation = ReadValidationSet(rows.OutputCount, options, session);
        var columns = new PredictionColumns(Task, options.Sentence1ColumnName, options.Sentence2ColumnName, options.ScoreColumnName,
            options.PredictedLabelColumnName, rows.OutputCount, label.Annotations);

        session.Info($"Fine-tuning ({options.Method}) on {rows.Count} rows{(validation is null ? "" : $", validating on {validation.Count}")}, {rows.OutputCount} output(s).");
        var engine = _engine ?? DefaultTextScorerTrainer.Create(_environment);
        var scorer = engine.Train(rows, validation, settings, session);
        try
        {
            session.ThrowIfCancellationRequested();
            return new DeltaLoRATransformer(_environment, new BatchScorer(scorer, columns, options.InferenceBatchSize));
        }
        catch
        {
            scorer.Dispose();
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

    private (TextTrainingSet Rows, long Skipped) Read(IDataView data, DeltaLoRAOptions options, TrainingSession session)
        => TrainingRowReader.Read(data, Task, options.LabelColumnName, options.Sentence1ColumnName, options.Sentence2ColumnName, session);

    private TextTrainingSet? ReadValidationSet(int outputCount, DeltaLoRAOptions options, TrainingSession session)
    {
        if (options.ValidationSet is null) return null;
        var (rows, _) = Read(options.ValidationSet, options, session);
        if (rows.OutputCount != outputCount)
            throw new InvalidOperationException(
                $"The validation set's label column '{options.LabelColumnName}' has {rows.OutputCount} classes, the training data's has {outputCount}; " +
                "map both with the same MapValueToKey transformer.");
        return rows;
    }
}
