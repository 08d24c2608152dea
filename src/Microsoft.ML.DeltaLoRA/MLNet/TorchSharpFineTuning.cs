using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using Microsoft.ML.DeltaLoRA.Training;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// What <see cref="DeltaLoRATrainer.Fit"/> runs once the rows are read: loads the pretrained model with a fresh head,
/// tokenizes the rows, runs the <see cref="FineTuner"/> (validating after each epoch when a validation set is given), merges
/// the adapters (recording first what a LoRA or Delta-LoRA run changed, for the compact save) and hands back the fine-tuned
/// network as a <see cref="TorchSharpScoringEngine"/>. <see cref="Train"/> is the
/// only place where the ML.NET layer calls into <c>Training</c>.
/// </summary>
internal static class TorchSharpFineTuning
{
    /// <param name="trainingSet">The training rows.</param>
    /// <param name="validationSet">Rows from <see cref="DeltaLoRAOptions.ValidationSet"/>, or null.</param>
    /// <param name="options">Validated, fixed for this fit, with <see cref="FineTuningOptions.Seed"/> set. Its thread count is applied
    /// before the model loads; the one for scoring (<see cref="TorchThreads.ScoringCount"/>, else the same) before the engine is returned.</param>
    /// <param name="gpuDeviceId">MLContext.GpuDeviceId.</param>
    /// <param name="fallbackToCpu">MLContext.FallbackToCpu.</param>
    /// <param name="log">Writes one informational line to the ML.NET log.</param>
    /// <param name="progress">Told after every optimizer step and every validation.</param>
    /// <param name="cancellationToken">Checked at least once per optimizer step; on cancellation the model is disposed.</param>
    public static TorchSharpScoringEngine Train(TextTrainingSet trainingSet, TextTrainingSet? validationSet, DeltaLoRAOptions options,
        int? gpuDeviceId, bool fallbackToCpu, Action<string> log, IProgress<TrainingProgress> progress, CancellationToken cancellationToken)
    {
        // Before the model loads: the fresh task head and the adapters are drawn from this one stream.
        FineTuner.SeedTorch(options.Seed!.Value);
        int trainingThreads = options.ThreadCount ?? TorchThreads.DefaultCount;
        TorchThreads.Apply(trainingThreads);

        var device = DeviceSelection.Resolve(gpuDeviceId, fallbackToCpu, log);
        var model = TextClassificationModel.LoadPretrained(options.ModelPath, trainingSet.OutputCount, options.DropoutOverride, device, options.Pooling,
            options.PairEncoding);
        string source = options.ModelPath ?? $"the default model ({NamedModels.Default.Name})";
        try
        {
            // Before training: the sums are of the files the weights were read from, not of what is there later. A run that continues
            // from a PEFT adapter starts from the base plus that adapter, weights no file holds, so its change has no base to refer to.
            bool continuesFromPeftAdapter = PeftNames.IsAdapterFolder(NamedModels.ResolveFolder(options.ModelPath));
            var baseModel = options.Method == FineTuningMethod.Full || continuesFromPeftAdapter ? null : BaseModelReference.Of(options.ModelPath);
            RequireMaxSequenceLengthFits(model, source, options.MaxSequenceLength);
            log($"Model: {model.Family} from {source}, pooling {model.Network.Pooling}"
                + $"{(trainingSet.SecondTexts is null ? "" : $", pairs as a {model.Network.PairEncoding}")}, on {device}.");
            foreach (var note in model.LoadNotes) log(note);
            var sequences = Encode(model, trainingSet, options.MaxSequenceLength);
            int totalSteps = FineTuner.CountSteps(options, sequences.Count);

            using var tuner = new FineTuner(model.Network, options, totalSteps);
            using var earlyStopping = validationSet is null
                ? null
                : new EarlyStopping(model.Network, options.EarlyStoppingPatience, higherIsBetter: trainingSet.Task == PredictionTask.MulticlassClassification);
            var summary = tuner.Train(sequences, Labels(trainingSet), model.Tokenizer.PadTokenId, model.Tokenizer.UsesTokenTypeIds, progress, cancellationToken,
                afterEpoch: epoch => earlyStopping is null || Validate(epoch, earlyStopping));
            cancellationToken.ThrowIfCancellationRequested();
            log($"Trained {summary.Steps} optimizer steps in {summary.Epochs} epoch(s), {summary.Elapsed.TotalSeconds:0.0} s.");

            earlyStopping?.RestoreBest();
            var delta = tuner.CaptureDelta(earlyStopping?.BestStep ?? tuner.CompletedSteps);
            tuner.MergeAdapters();
            model.Network.eval();
            if (delta is not null && baseModel is not null) model.RecordFineTune(baseModel, delta);
            else if (options.SaveMode == ModelSaveMode.Compact)
                log(delta is null
                    ? "SaveMode is Compact, but full fine-tuning changes every weight: this model saves in full (the whole network)."
                    : "SaveMode is Compact, but this run continued from a PEFT adapter, whose starting weights (the base plus the adapter) no file holds: this model saves in full (the whole network).");
            int scoringThreads = TorchThreads.ScoringCount ?? trainingThreads;
            TorchThreads.Apply(scoringThreads);
            return new TorchSharpScoringEngine(model, options.MaxSequenceLength, scoringThreads, options.SaveMode);

            // Accuracy (classification) or mean squared error (regression) on the validation rows; false stops training.
            bool Validate(int epoch, EarlyStopping stopping)
            {
                double metric = ValidationMetric(model, validationSet!, options);
                progress.Report(new TrainingProgress(tuner.CompletedSteps, epoch, tuner.LastStepLoss, tuner.LastLearningRate, 0, metric));
                bool keepGoing = stopping.Observe(metric, tuner.CompletedSteps);
                if (!keepGoing)
                    log($"Early stopping after epoch {epoch}: no better validation score in {options.EarlyStoppingPatience} epoch(s); best {stopping.BestScore:0.0000}.");
                return keepGoing;
            }
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    // Before any row is encoded: a longer input would otherwise fail inside the first step (or, for USE-Lite, be clipped unseen).
    private static void RequireMaxSequenceLengthFits(TextClassificationModel model, string source, int maxSequenceLength)
    {
        int limit = model.Network.MaxSequenceLength;
        if (maxSequenceLength > limit)
            throw new ArgumentOutOfRangeException(nameof(DeltaLoRAOptions.MaxSequenceLength), maxSequenceLength,
                $"MaxSequenceLength is {maxSequenceLength}, but the {model.Family} model from {source} accepts at most {limit} tokens (the positions it numbers); " +
                $"set MaxSequenceLength to {limit} or less.");
    }

    private static List<EncodedSequence> Encode(TextClassificationModel model, TextTrainingSet rows, int maxSequenceLength)
    {
        var sequences = new List<EncodedSequence>(rows.Count);
        for (int i = 0; i < rows.Count; i++) sequences.Add(model.Encode(rows.FirstTexts[i], rows.SecondTexts?[i], maxSequenceLength));
        return sequences;
    }

    private static float[] Labels(TextTrainingSet rows)
        => rows.Task == PredictionTask.MulticlassClassification
            ? rows.ClassIndices!.Select(index => (float)index).ToArray()
            : rows.Targets!.ToArray();

    private static double ValidationMetric(TextClassificationModel model, TextTrainingSet validation, DeltaLoRAOptions options)
    {
        var raw = model.PredictRaw(validation.FirstTexts, validation.SecondTexts, options.MaxSequenceLength, options.InferenceBatchSize);
        return validation.Task == PredictionTask.MulticlassClassification
            ? Accuracy(raw, validation.ClassIndices!, validation.OutputCount)
            : MeanSquaredError(raw, validation.Targets!);
    }

    private static double Accuracy(float[] logits, IReadOnlyList<int> classes, int classCount)
    {
        int correct = 0;
        for (int row = 0; row < classes.Count; row++)
        {
            var scores = logits.AsSpan(row * classCount, classCount);
            int best = 0;
            for (int c = 1; c < classCount; c++) if (scores[c] > scores[best]) best = c;
            if (best == classes[row]) correct++;
        }
        return (double)correct / classes.Count;
    }

    private static double MeanSquaredError(float[] predictions, IReadOnlyList<float> targets)
        => targets.Select((target, row) => Math.Pow(predictions[row] - target, 2)).Average();
}
