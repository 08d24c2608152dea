using System.Diagnostics;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Training;

/// <summary>
/// The training loop, in one place. Construction prepares the model for the method: adapters on the target layers, the
/// trainable parameters in AdamW's groups, the learning-rate schedule and, for Delta-LoRA, the rule that moves W.
/// <see cref="Step"/> runs one micro-batch and, when an accumulation window closes, one optimizer step:
/// <code>
///   forward → summed loss → backward, then per window: grads /= examples → clip → learning rate → AdamW step → Delta-LoRA update → zero grads
/// </code>
/// <see cref="Train"/> runs the whole run: epochs of shuffled micro-batches, progress after every step, cancellation.
/// </summary>
internal sealed class FineTuner : IDisposable
{
    /// <summary>Micro-batches sorted by length together with length bucketing: enough to cut padding, few enough to keep the order random.</summary>
    private const int BatchesPerBucketingChunk = 50;

    private readonly SequenceClassifier _model;
    private readonly FineTuningOptions _options;
    private readonly Device _device;
    private readonly Parameter[] _trainable;
    private readonly (string Name, Parameter Parameter)[] _trainableByName;
    private readonly AdamW _optimizer;
    private readonly LearningRateScheduler _schedule;
    private readonly DeltaLoRAUpdate? _deltaLoRA;

    private int _microBatchesInWindow;
    private long _examplesInWindow;
    private double _lossSumInWindow;
    private bool _adaptersMerged;
    private bool _diverged;

    /// <summary>
    /// Prepares <paramref name="model"/> (already on its device) for <paramref name="totalSteps"/> optimizer steps (see
    /// <see cref="CountSteps"/>) with validated <paramref name="options"/>, which are copied: later changes do not reach this run.
    /// <see cref="FineTuningOptions.DropoutOverride"/> and <see cref="FineTuningOptions.Pooling"/> are not applied here: they are
    /// part of the model, given when it is built. Torch is not seeded here (see <see cref="SeedTorch"/>).
    /// </summary>
    public FineTuner(SequenceClassifier model, FineTuningOptions options, int totalSteps)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"A run needs at least 1 optimizer step; found {totalSteps}.");
        _model = model;
        _options = options.Clone();
        _device = model.parameters().FirstOrDefault()?.device
            ?? throw new InvalidOperationException($"The {model.Family} model has no parameters to train.");
        TotalSteps = totalSteps;

        var adapters = _options.Method == FineTuningMethod.Full
            ? null
            : new AdapterConfig(_options.Rank, _options.Alpha, _options.RankStabilized, _options.TargetModules);
        var adaptedLayers = AdapterInjector.Prepare(model, adapters);
        var groups = AdamWParameterGroups.Select(model, _options.Method, _options.DecayAllParameters);
        _trainableByName = groups.All.ToArray();
        _trainable = _trainableByName.Select(p => p.Parameter).ToArray();
        _optimizer = groups.CreateOptimizer(_options.LearningRate, _options.WeightDecay);
        _schedule = LearningRateScheduler.For(_options, totalSteps);
        if (_options.Method == FineTuningMethod.DeltaLoRA) // K: the warmup unless set, as in the paper's GLUE setting
            _deltaLoRA = new DeltaLoRAUpdate(adaptedLayers, _options.UpdateRatio, startSteps: _options.StartSteps ?? _schedule.WarmupSteps);
        model.train();
    }

    /// <summary>The optimizer steps of the run.</summary>
    public int TotalSteps { get; }

    /// <summary>Optimizer steps done so far.</summary>
    public int CompletedSteps { get; private set; }

    /// <summary>Mean loss over the examples of the last optimizer step's window.</summary>
    public double LastStepLoss { get; private set; } = double.NaN;

    /// <summary>Learning rate of the last optimizer step.</summary>
    public double LastLearningRate { get; private set; } = double.NaN;

    /// <summary>
    /// Trains for <see cref="TotalSteps"/> optimizer steps over <paramref name="sequences"/> (epochs of seeded, shuffled,
    /// dynamically padded micro-batches), reporting after every optimizer step (its mean loss, learning rate, fractional epoch and
    /// throughput since the previous report) and checking <paramref name="cancellationToken"/> before every micro-batch.
    /// <paramref name="labels"/> are class indices (as floats) or regression targets. <c>afterEpoch</c>, when given, is called after
    /// each epoch (also a last, partial one) with its 1-based number; returning false stops training early (validation and early stopping).
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
        var (classLabels, targets) = ValidateExamples(sequences, labels);
        var lengths = sequences.Select(s => s.Length).ToArray();
        var random = _options.Seed is int seed ? new Random(seed) : new Random();
        var stepLosses = new List<double>();
        var stopwatch = Stopwatch.StartNew();
        long examplesSeen = 0, examplesAtLastReport = 0;
        double secondsAtLastReport = 0;
        int epoch = 0;

        while (CompletedSteps < TotalSteps)
        {
            epoch++;
            foreach (var indices in PlanEpoch(lengths, _options.BatchSize, _options.LengthBucketing, random))
            {
                cancellationToken.ThrowIfCancellationRequested();
                int stepsBefore = CompletedSteps;
                using (var scope = torch.NewDisposeScope())
                {
                    var batch = BatchCollator.Collate(indices.Select(i => sequences[i]).ToArray(), padTokenId, withTokenTypeIds, _device);
                    var batchLabels = _model.NumLabels == 1
                        ? torch.tensor(indices.Select(i => targets[i]).ToArray(), device: _device)
                        : torch.tensor(indices.Select(i => classLabels[i]).ToArray(), device: _device);
                    Step(batch, batchLabels);
                }
                examplesSeen += indices.Length;
                if (CompletedSteps > stepsBefore) Report();
                if (CompletedSteps == TotalSteps) break;
            }
            // The epoch's last, partly filled accumulation window still makes a step (see CountSteps).
            if (CompletedSteps < TotalSteps && _microBatchesInWindow > 0)
            {
                using (var scope = torch.NewDisposeScope()) OptimizerStep();
                Report();
            }
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

    /// <summary>
    /// Runs one micro-batch (forward, loss, backward) and, when it closes an accumulation window of
    /// <see cref="FineTuningOptions.GradientAccumulationSteps"/> micro-batches, one optimizer step.
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
        ValidateLabels(labels, batch.ExampleCount);
        if (!_model.training) _model.train();
        var logits = _model.forward(batch);
        // Summed, not averaged: OptimizerStep divides the window's gradients by its example count, which gives the mean over the
        // whole window even when its micro-batches differ in size.
        var loss = _model.NumLabels == 1
            ? functional.mse_loss(logits.reshape(-1), labels.to(_device).to_type(logits.dtype), reduction: Reduction.Sum)
            : functional.cross_entropy(logits, labels.to(_device), reduction: Reduction.Sum);
        double lossSum = loss.item<float>();
        if (!double.IsFinite(lossSum))
        {
            int step = CompletedSteps + 1;
            _diverged = true;
            throw new TrainingDivergedException(step, lossSum, _schedule.LearningRateAt(step));
        }
        loss.backward();

        _lossSumInWindow += lossSum;
        _examplesInWindow += batch.ExampleCount;
        _microBatchesInWindow++;
        if (_microBatchesInWindow == _options.GradientAccumulationSteps) OptimizerStep();
        return (float)(lossSum / batch.ExampleCount);
    }

    /// <summary>One optimizer step from the gradients accumulated over the window's micro-batches.</summary>
    private void OptimizerStep()
    {
        // The gradients are those of the window's summed loss; divided by its example count they are those of the mean.
        using (torch.no_grad())
        using (var examples = _examplesInWindow.ToScalar())
        {
            foreach (var parameter in _trainable)
            {
                using var grad = parameter.grad;
                grad?.div_(examples);
            }
        }
        if (_options.MaxGradientNorm is double maxNorm) torch.nn.utils.clip_grad_norm_(_trainable, maxNorm);

        int step = CompletedSteps + 1;
        double learningRate = _schedule.LearningRateAt(step);
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = learningRate;
        _optimizer.step()?.Dispose();
        _deltaLoRA?.Apply(step); // after AdamW has moved A and B: W follows their change
        _optimizer.zero_grad();

        CompletedSteps = step;
        LastLearningRate = learningRate;
        LastStepLoss = _lossSumInWindow / _examplesInWindow;
        _microBatchesInWindow = 0;
        _examplesInWindow = 0;
        _lossSumInWindow = 0;
    }

    /// <summary>
    /// What this LoRA or Delta-LoRA run changed in the base model (see <see cref="FineTuneDeltaCapture"/>); null for full
    /// fine-tuning, which changes every weight. Call it before <see cref="MergeAdapters"/>. <paramref name="weightsStep"/> is the
    /// optimizer step the model's weights come from: <see cref="CompletedSteps"/>, or an earlier one that early stopping restored.
    /// </summary>
    public Modeling.Adapters.FineTuneDelta? CaptureDelta(int weightsStep)
    {
        if (_adaptersMerged) throw new InvalidOperationException("The adapters have been merged into W; capture the delta before merging.");
        if (weightsStep < 0 || weightsStep > CompletedSteps)
            throw new ArgumentOutOfRangeException(nameof(weightsStep), weightsStep, $"The weights come from a step in 0 to {CompletedSteps}.");
        return _options.Method == FineTuningMethod.Full ? null : FineTuneDeltaCapture.Capture(_model, _trainableByName, _deltaLoRA, weightsStep, _options);
    }

    /// <summary>Folds every adapter into its W (α/r·B·A), so that inference costs exactly the base model. Training cannot continue after this.</summary>
    public void MergeAdapters()
    {
        AdapterInjector.MergeAll(_model);
        _adaptersMerged = true;
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _deltaLoRA?.Dispose();
    }

    /// <summary>
    /// Seeds torch's generators (CPU and CUDA). Call it once per run, before anything random is drawn: the fresh task head
    /// when the model is built, then the adapters' A, dropout masks; <see cref="Train"/> seeds its shuffle from the options.
    /// </summary>
    public static void SeedTorch(int seed)
    {
        torch.manual_seed(seed);
        if (torch.cuda.is_available()) torch.cuda.manual_seed_all(seed);
    }

    /// <summary>
    /// The number of optimizer steps for <paramref name="exampleCount"/> examples: <see cref="FineTuningOptions.MaxSteps"/> when set,
    /// otherwise epochs × ⌈micro-batches per epoch / accumulation steps⌉ (an epoch's last, shorter accumulation window still makes a step).
    /// </summary>
    public static int CountSteps(FineTuningOptions options, int exampleCount)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxSteps is int maxSteps) return maxSteps;
        if (exampleCount < 1) throw new ArgumentOutOfRangeException(nameof(exampleCount), exampleCount, $"Training needs at least one example; found {exampleCount}.");
        long microBatchesPerEpoch = (exampleCount + (long)options.BatchSize - 1) / options.BatchSize;
        long stepsPerEpoch = (microBatchesPerEpoch + options.GradientAccumulationSteps - 1) / options.GradientAccumulationSteps;
        long total = stepsPerEpoch * options.Epochs;
        if (total > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(options.Epochs), options.Epochs, $"{options.Epochs} epochs of {stepsPerEpoch} steps exceed {int.MaxValue} optimizer steps.");
        return (int)total;
    }

    /// <summary>
    /// The order of the examples in one epoch, as micro-batches of indices: a seeded shuffle, and with length bucketing, sequences of
    /// similar length in the same batch (sorted within chunks of 50 batches, then the batch order shuffled), which cuts padding
    /// without making the batch order predictable.
    /// </summary>
    internal static List<int[]> PlanEpoch(IReadOnlyList<int> lengths, int batchSize, bool lengthBucketing, Random random)
    {
        var order = Enumerable.Range(0, lengths.Count).ToArray();
        random.Shuffle(order);
        if (!lengthBucketing) return order.Chunk(batchSize).ToList();

        var batches = order
            .Chunk(batchSize * BatchesPerBucketingChunk)
            .SelectMany(chunk => chunk.OrderByDescending(index => lengths[index]).Chunk(batchSize))
            .ToArray();
        random.Shuffle(batches);
        return batches.ToList();
    }

    private void EnsureCanStep()
    {
        if (_adaptersMerged) throw new InvalidOperationException("The adapters have been merged into W; training cannot continue.");
        if (_diverged) throw new InvalidOperationException("Training diverged (a non-finite loss); the weights are not usable and training cannot continue.");
        if (CompletedSteps >= TotalSteps) throw new InvalidOperationException($"All {TotalSteps} optimizer steps of the plan are done.");
    }

    /// <summary>Checks the label tensor against the batch and the head, so that errors name the problem instead of failing in libtorch.</summary>
    private void ValidateLabels(Tensor labels, long batchSize)
    {
        if (labels.ndim != 1 || labels.shape[0] != batchSize)
            throw new ArgumentOutOfRangeException(nameof(labels), $"[{string.Join(", ", labels.shape)}]", $"Labels must have shape [{batchSize}] (one per sequence in the batch); found [{string.Join(", ", labels.shape)}].");
        if (_model.NumLabels == 1)
        {
            if (!labels.is_floating_point())
                throw new ArgumentOutOfRangeException(nameof(labels), labels.dtype, $"Regression labels must be a floating-point tensor; found {labels.dtype}.");
            return;
        }
        if (labels.dtype != ScalarType.Int64)
            throw new ArgumentOutOfRangeException(nameof(labels), labels.dtype, $"Class labels must be an Int64 tensor of class indices; found {labels.dtype}.");
        long min = labels.min().item<long>();
        long max = labels.max().item<long>();
        if (min < 0 || max >= _model.NumLabels)
            throw new ArgumentOutOfRangeException(nameof(labels), min < 0 ? min : max, $"Class labels must be in [0, {_model.NumLabels - 1}]; found {(min < 0 ? min : max)}.");
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
            if (sequences[i].InputIds.Length < 1 || sequences[i].Second?.InputIds.Length < 1 || length > _options.MaxSequenceLength)
                throw new ArgumentOutOfRangeException(nameof(sequences), length, $"Sequence {i} has {length} tokens; expected 1 to MaxSequenceLength = {_options.MaxSequenceLength}.");
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
