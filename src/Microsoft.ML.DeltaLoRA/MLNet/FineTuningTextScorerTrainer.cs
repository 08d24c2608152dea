using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using Microsoft.ML.DeltaLoRA.Training;
using TorchSharp;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// The engine behind the catalog methods: loads the pretrained model with a fresh head, tokenizes the rows, runs the
/// <see cref="FineTuner"/> (validating after each epoch when a validation set is given), merges the adapters and hands
/// back a scorer.
/// </summary>
internal sealed class FineTuningTextScorerTrainer(int? gpuDeviceId, bool fallbackToCpu) : ITextScorerTrainer
{
    public ITextScorer Train(TextTrainingSet trainingSet, TextTrainingSet? validationSet, TrainerSettings settings, TrainingSession session)
    {
        var options = settings.Options;
        var fineTuning = settings.FineTuning with { Seed = settings.FineTuning.Seed ?? session.ContextSeed };
        torch.manual_seed(fineTuning.Seed!.Value);

        var device = DeviceSelection.Resolve(gpuDeviceId, fallbackToCpu, session.Info);
        var model = TextClassificationModel.LoadPretrained(options.ModelPath, trainingSet.OutputCount, fineTuning.DropoutOverride, device, fineTuning.Pooling,
            fineTuning.PairEncoding);
        try
        {
            session.Info($"Model: {model.Family} from {options.ModelPath ?? "the default model (USE-Lite)"}, pooling {model.Network.Pooling}"
                + $"{(trainingSet.SecondTexts is null ? "" : $", pairs as a {model.Network.PairEncoding}")}, on {device}.");
            foreach (var note in model.LoadNotes) session.Info(note);
            var sequences = Encode(model, trainingSet, fineTuning.MaxSequenceLength);
            var labels = Labels(trainingSet);
            int totalSteps = TrainingPlan.CountSteps(fineTuning, sequences.Count);

            using var tuner = new FineTuner(model.Network, fineTuning, totalSteps);
            using var earlyStopping = validationSet is null
                ? null
                : new EarlyStopping(model.Network, options.EarlyStoppingPatience, higherIsBetter: trainingSet.Task == PredictionTask.MulticlassClassification);
            var progress = new SessionProgress(session);
            var summary = tuner.Train(sequences, labels, model.Tokenizer.PadTokenId, model.Tokenizer.UsesTokenTypeIds, progress, session.CancellationToken,
                afterEpoch: epoch => earlyStopping is null || Validate(model, validationSet!, options, tuner, epoch, earlyStopping, session));
            session.ThrowIfCancellationRequested();
            session.Info($"Trained {summary.Steps} optimizer steps in {summary.Epochs} epoch(s), {summary.Elapsed.TotalSeconds:0.0} s.");

            earlyStopping?.RestoreBest();
            tuner.MergeAdapters();
            model.Network.eval();
            return new FineTunedTextScorer(model, fineTuning.MaxSequenceLength);
        }
        catch
        {
            model.Dispose();
            throw;
        }
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

    /// <summary>Accuracy (classification) or mean squared error (regression) on the validation rows; false stops training.</summary>
    private static bool Validate(TextClassificationModel model, TextTrainingSet validation, DeltaLoRAOptions options, FineTuner tuner,
        int epoch, EarlyStopping earlyStopping, TrainingSession session)
    {
        var raw = model.PredictRaw(validation.FirstTexts, validation.SecondTexts, options.MaxSequenceLength, options.InferenceBatchSize);
        double metric = validation.Task == PredictionTask.MulticlassClassification
            ? Accuracy(raw, validation.ClassIndices!, validation.OutputCount)
            : MeanSquaredError(raw, validation.Targets!);
        session.Report(new TrainingProgress(tuner.CompletedSteps, epoch, tuner.LastStepLoss, tuner.LastLearningRate, 0, metric));
        bool keepGoing = earlyStopping.Observe(metric);
        if (!keepGoing) session.Info($"Early stopping after epoch {epoch}: no better validation score in {options.EarlyStoppingPatience} epoch(s); best {earlyStopping.BestScore:0.0000}.");
        return keepGoing;
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

    /// <summary>Forwards the engine's per-step reports to the session, and polls ML.NET's cancellation once per step.</summary>
    private sealed class SessionProgress(TrainingSession session) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            session.Report(value);
            _ = session.IsCancellationRequested;
        }
    }
}
