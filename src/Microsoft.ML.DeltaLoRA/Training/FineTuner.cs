using System.Diagnostics;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Training;

/// <summary>
/// The training loop. Construction prepares the model for the method (<see cref="TrainingPreparation"/>);
/// <see cref="Step"/> runs one micro-batch and, when an accumulation window closes, one optimizer step:
/// <code>
///   loss.backward()  →  grads /= examples in window  →  clip  →  set learning rate  →  AdamW step  →  Delta-LoRA update  →  zero grads
/// </code>
/// <see cref="Train"/> runs the whole plan over a list of tokenized examples.
/// </summary>
internal sealed class FineTuner : IDisposable
{
    private readonly SequenceClassifier _model;
    private readonly FineTuningSettings _settings;
    private readonly Device _device;
    private readonly TrainingPreparation _prepared;

    private int _microBatchesInWindow;
    private long _examplesInWindow;
    private double _lossSumInWindow;
    private bool _adaptersMerged;
    private bool _diverged;

    /// <summary>
    /// Prepares <paramref name="model"/> for <paramref name="totalSteps"/> optimizer steps (see <see cref="TrainingPlan.CountSteps"/>)
    /// with <see cref="TrainingPreparation"/>. Move the model to its device first. <see cref="FineTuningSettings.DropoutOverride"/> and
    /// <see cref="FineTuningSettings.Pooling"/> are not applied here: they are part of the model, given when it is built.
    /// </summary>
    public FineTuner(SequenceClassifier model, FineTuningSettings settings, int totalSteps)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        _model = model;
        _settings = settings;
        _device = model.parameters().FirstOrDefault()?.device
            ?? throw new InvalidOperationException($"The {model.Family} model has no parameters to train.");
        _prepared = TrainingPreparation.Prepare(model, settings, totalSteps);
        model.train();
    }

    public TrainingPlan Plan => _prepared.Plan;

    /// <summary>Full names of the layers that carry adapters (empty for full fine-tuning).</summary>
    public IReadOnlyList<string> AdaptedLayerNames => _prepared.AdaptedLayerNames;

    /// <summary>Names of the parameters the optimizer updates.</summary>
    public IReadOnlyList<string> TrainableParameterNames => _prepared.TrainableParameterNames;

    /// <summary>Optimizer steps done so far.</summary>
    public int CompletedSteps { get; private set; }

    /// <summary>Mean loss over the examples of the last optimizer step's window.</summary>
    public double LastStepLoss { get; private set; } = double.NaN;

    /// <summary>Learning rate of the last optimizer step.</summary>
    public double LastLearningRate { get; private set; } = double.NaN;

    /// <summary>Global gradient norm before clipping at the last optimizer step (NaN when clipping is off).</summary>
    public double LastGradientNorm { get; private set; } = double.NaN;

    /// <summary>
    /// Runs one micro-batch (forward, loss, backward) and, when it closes an accumulation window of
    /// <see cref="FineTuningSettings.GradientAccumulationSteps"/> micro-batches, one optimizer step.
    /// <paramref name="labels"/> are Int64 class indices, or floats for regression (one output).
    /// </summary>
    /// <returns>The mean loss of this micro-batch.</returns>
    /// <exception cref="TrainingDivergedException">When the loss is NaN or infinite; training cannot continue.</exception>
    public float Step(EncoderBatch batch, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(labels);
        EnsureCanStep();
        if (batch.InputIds.device_type != _device.type || batch.InputIds.device_index != _device.index)
            throw new InvalidOperationException($"The batch is on {batch.InputIds.device} but the model is on {_device}; collate batches onto the model's device.");

        using var scope = torch.NewDisposeScope();
        TrainingLoss.Validate(labels, batch.ExampleCount, _model.NumLabels);
        if (!_model.training) _model.train();
        var logits = _model.forward(batch);
        var loss = TrainingLoss.Sum(logits, labels.to(_device), _model.NumLabels);
        double lossSum = loss.item<float>();
        if (!double.IsFinite(lossSum))
        {
            int step = CompletedSteps + 1;
            _diverged = true;
            throw new TrainingDivergedException(step, lossSum, _prepared.Schedule.LearningRateAt(step));
        }
        loss.backward();

        _lossSumInWindow += lossSum;
        _examplesInWindow += batch.ExampleCount;
        _microBatchesInWindow++;
        if (_microBatchesInWindow == _settings.GradientAccumulationSteps) OptimizerStep();
        return (float)(lossSum / batch.ExampleCount);
    }

    /// <summary>Makes an optimizer step from a partly filled accumulation window (at the end of an epoch). Returns false when the window is empty.</summary>
    public bool CompleteAccumulationWindow()
    {
        if (_microBatchesInWindow == 0) return false;
        EnsureCanStep();
        using var scope = torch.NewDisposeScope();
        OptimizerStep();
        return true;
    }

    /// <summary>
    /// Trains for <see cref="TrainingPlan.TotalSteps"/> optimizer steps over <paramref name="sequences"/> (epochs of seeded, shuffled,
    /// dynamically padded micro-batches), reporting after every optimizer step (its mean loss, learning rate, fractional epoch and
    /// throughput since the previous report) and checking <paramref name="cancellationToken"/> before every micro-batch. <paramref name="labels"/> are class indices (as floats) or regression targets.
    /// <c>afterEpoch</c>, when given, is called after each epoch (also a last, partial one) with its 1-based number; returning false
    /// stops training early (validation and early stopping).
    /// </summary>
    /// <exception cref="OperationCanceledException">When cancelled; the model keeps the steps done so far.</exception>
    public TrainingSummary Train(
        IReadOnlyList<EncodedSequence> sequences,
        IReadOnlyList<float> labels,
        int padTokenId,
        bool withTokenTypeIds,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default,
        Func<int, bool>? afterEpoch = null)
    {
        var (labelValues, targetValues) = ValidateExamples(sequences, labels);
        var lengths = sequences.Select(s => s.Length).ToArray();
        var random = _settings.Seed is int seed ? new Random(seed) : new Random();
        var stepLosses = new List<double>();
        var stopwatch = Stopwatch.StartNew();
        long examplesSeen = 0, examplesAtLastReport = 0;
        double secondsAtLastReport = 0;
        int epoch = 0;

        while (CompletedSteps < Plan.TotalSteps)
        {
            epoch++;
            foreach (var indices in BatchPlanner.PlanEpoch(lengths, _settings.BatchSize, _settings.LengthBucketing, random))
            {
                cancellationToken.ThrowIfCancellationRequested();
                int stepsBefore = CompletedSteps;
                using (var scope = torch.NewDisposeScope())
                {
                    var batch = BatchCollator.Collate(indices.Select(i => sequences[i]).ToArray(), padTokenId, withTokenTypeIds, _device);
                    var batchLabels = _model.NumLabels == 1
                        ? torch.tensor(indices.Select(i => targetValues[i]).ToArray(), device: _device)
                        : torch.tensor(indices.Select(i => labelValues[i]).ToArray(), device: _device);
                    Step(batch, batchLabels);
                }
                examplesSeen += indices.Length;
                if (CompletedSteps > stepsBefore) Report();
                if (CompletedSteps == Plan.TotalSteps) break;
            }
            if (CompletedSteps < Plan.TotalSteps && CompleteAccumulationWindow()) Report();
            if (afterEpoch is not null && !afterEpoch(epoch)) break;
        }
        return new TrainingSummary(CompletedSteps, epoch, stepLosses, stopwatch.Elapsed);

        void Report()
        {
            stepLosses.Add(LastStepLoss);
            double seconds = stopwatch.Elapsed.TotalSeconds;
            double examplesPerSecond = (examplesSeen - examplesAtLastReport) / Math.Max(seconds - secondsAtLastReport, 1e-9);
            (examplesAtLastReport, secondsAtLastReport) = (examplesSeen, seconds);
            progress?.Report(new TrainingProgress(CompletedSteps, (double)examplesSeen / sequences.Count, LastStepLoss, LastLearningRate, examplesPerSecond));
        }
    }

    /// <summary>Folds every adapter into its W (α/r·B·A), so that inference costs exactly the base model. Training cannot continue after this.</summary>
    public void MergeAdapters()
    {
        AdapterInjector.MergeAll(_model);
        _adaptersMerged = true;
    }

    public void Dispose() => _prepared.Dispose();

    private void OptimizerStep()
    {
        using (torch.no_grad())
        using (var examples = _examplesInWindow.ToScalar())
        {
            foreach (var parameter in _prepared.Trainable)
            {
                using var grad = parameter.grad;
                grad?.div_(examples);
            }
        }
        if (_settings.MaxGradientNorm is double maxNorm)
            LastGradientNorm = torch.nn.utils.clip_grad_norm_(_prepared.Trainable, maxNorm);

        int step = CompletedSteps + 1;
        double learningRate = _prepared.Schedule.LearningRateAt(step);
        foreach (var group in _prepared.Optimizer.ParamGroups) group.LearningRate = learningRate;
        _prepared.Optimizer.step()?.Dispose();
        _prepared.DeltaLoRA?.Apply(step);
        _prepared.Optimizer.zero_grad();

        CompletedSteps = step;
        LastLearningRate = learningRate;
        LastStepLoss = _lossSumInWindow / _examplesInWindow;
        _microBatchesInWindow = 0;
        _examplesInWindow = 0;
        _lossSumInWindow = 0;
    }

    private void EnsureCanStep()
    {
        if (_adaptersMerged) throw new InvalidOperationException("The adapters have been merged into W; training cannot continue.");
        if (_diverged) throw new InvalidOperationException("Training diverged (a non-finite loss); the weights are not usable and training cannot continue.");
        if (CompletedSteps >= Plan.TotalSteps)
            throw new InvalidOperationException($"All {Plan.TotalSteps} optimizer steps of the plan are done.");
    }

    /// <summary>Checks the examples and returns the labels as class indices (classification) or targets (regression).</summary>
    private (long[] ClassLabels, float[] Targets) ValidateExamples(IReadOnlyList<EncodedSequence> sequences, IReadOnlyList<float> labels)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentNullException.ThrowIfNull(labels);
        if (sequences.Count == 0) throw new ArgumentOutOfRangeException(nameof(sequences), 0, "Training needs at least one example; found none.");
        if (labels.Count != sequences.Count)
            throw new ArgumentOutOfRangeException(nameof(labels), labels.Count, $"There must be one label per sequence: {sequences.Count} sequences, found {labels.Count} labels.");
        for (int i = 0; i < sequences.Count; i++)
        {
            int length = sequences[i].LongestPart;
            if (sequences[i].InputIds.Length < 1 || sequences[i].Second?.InputIds.Length < 1 || length > _settings.MaxSequenceLength)
                throw new ArgumentOutOfRangeException(nameof(sequences), length, $"Sequence {i} has {length} tokens; expected 1 to MaxSequenceLength = {_settings.MaxSequenceLength}.");
        }
        if (_model.NumLabels == 1)
        {
            for (int i = 0; i < labels.Count; i++)
                if (!float.IsFinite(labels[i])) throw new ArgumentOutOfRangeException(nameof(labels), labels[i], $"Label {i} must be a finite number; found {labels[i]}.");
            return ([], labels.ToArray());
        }
        var classLabels = new long[labels.Count];
        for (int i = 0; i < labels.Count; i++)
        {
            float label = labels[i];
            if (!(label >= 0 && label < _model.NumLabels && label == MathF.Floor(label)))
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"Label {i} must be a class index in [0, {_model.NumLabels - 1}]; found {label}.");
            classLabels[i] = (long)label;
        }
        return (classLabels, []);
    }
}
