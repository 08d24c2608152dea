using Microsoft.ML.DeltaLoRA.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Training;

/// <summary>
/// What a model needs before its first step for a method: adapters on the target layers (LoRA, Delta-LoRA), which parameters
/// train and in which AdamW group, the learning-rate schedule and the Delta-LoRA rule. <see cref="FineTuner"/> runs the steps.
/// </summary>
internal sealed class TrainingPreparation : IDisposable
{
    private const double AdamBeta1 = 0.9;
    private const double AdamBeta2 = 0.999; // PyTorch's default; TorchSharp's torch.optim.AdamW factory defaults to 0.99.
    private const double AdamEpsilon = 1e-8;

    private TrainingPreparation(TrainingPlan plan, IReadOnlyList<string> adaptedLayerNames, TrainableParameters trainable, AdamW optimizer,
        LearningRateScheduler schedule, DeltaLoRAUpdate? deltaLoRA)
    {
        Plan = plan;
        AdaptedLayerNames = adaptedLayerNames;
        TrainableParameterNames = trainable.All.Select(p => p.Name).ToArray();
        Trainable = trainable.All.Select(p => p.Parameter).ToArray();
        Optimizer = optimizer;
        Schedule = schedule;
        DeltaLoRA = deltaLoRA;
    }

    public TrainingPlan Plan { get; }
    public IReadOnlyList<string> AdaptedLayerNames { get; }
    public IReadOnlyList<string> TrainableParameterNames { get; }
    public Parameter[] Trainable { get; }
    public AdamW Optimizer { get; }
    public LearningRateScheduler Schedule { get; }

    /// <summary>The Delta-LoRA rule, for Delta-LoRA only.</summary>
    public DeltaLoRAUpdate? DeltaLoRA { get; }

    /// <summary>Seeds torch (when a seed is set), attaches the adapters, selects the trainable parameters and builds AdamW.</summary>
    public static TrainingPreparation Prepare(SequenceClassifier model, FineTuningSettings settings, int totalSteps)
    {
        var plan = TrainingPlan.For(settings, totalSteps);
        if (settings.Seed is int seed) SeedTorch(seed);
        var adapted = PrepareAdapters(model, settings);
        var trainable = TrainableParameters.Select(model, settings.Method, settings.DecayAllParameters);
        var optimizer = CreateOptimizer(trainable, settings);
        var schedule = new LearningRateScheduler(settings.Schedule, settings.LearningRate, plan.WarmupSteps, plan.TotalSteps);
        var deltaLoRA = settings.Method == FineTuningMethod.DeltaLoRA
            ? new DeltaLoRAUpdate(AdapterInjector.AdaptedLayers(model).Select(l => l.Layer), settings.UpdateRatio, plan.StartSteps)
            : null;
        return new TrainingPreparation(plan, adapted, trainable, optimizer, schedule, deltaLoRA);
    }

    public void Dispose()
    {
        Optimizer.Dispose();
        DeltaLoRA?.Dispose();
    }

    /// <summary>
    /// Attaches adapters unless the model already carries adapters of the configured rank and scaling (attached by the caller with
    /// <see cref="AdapterInjector"/> to start from given A matrices). Full fine-tuning refuses a model with adapters.
    /// </summary>
    private static IReadOnlyList<string> PrepareAdapters(SequenceClassifier model, FineTuningSettings settings)
    {
        var existing = AdapterInjector.AdaptedLayers(model);
        if (settings.Adapters is not { } adapters)
        {
            if (existing.Count > 0)
                throw new InvalidOperationException($"Full fine-tuning trains W directly, but layer '{existing[0].Name}' carries an adapter; merge or detach adapters first.");
            return [];
        }
        if (existing.Count == 0) return AdapterInjector.Inject(model, adapters);

        foreach (var (name, layer) in existing)
        {
            if (layer.Rank != adapters.Rank || Math.Abs(layer.Scaling - adapters.Scaling) > 1e-12 * adapters.Scaling)
                throw new InvalidOperationException(
                    $"Layer '{name}' already carries an adapter of rank {layer.Rank} and scaling {layer.Scaling}, but the options ask for rank {adapters.Rank} and scaling {adapters.Scaling}.");
        }
        return existing.Select(l => l.Name).ToArray();
    }

    private static AdamW CreateOptimizer(TrainableParameters trainable, FineTuningSettings settings)
    {
        var groups = new List<AdamW.ParamGroup>();
        if (trainable.Decayed.Count > 0) groups.Add(Group(trainable.Decayed, settings.WeightDecay));
        if (trainable.NotDecayed.Count > 0) groups.Add(Group(trainable.NotDecayed, 0));
        return torch.optim.AdamW(groups, settings.LearningRate, AdamBeta1, AdamBeta2, AdamEpsilon, settings.WeightDecay);

        AdamW.ParamGroup Group(IReadOnlyList<(string Name, Parameter Parameter)> parameters, double weightDecay)
            => new(parameters.Select(p => p.Parameter).ToArray(), settings.LearningRate, AdamBeta1, AdamBeta2, AdamEpsilon, weightDecay, amsgrad: false, maximize: false);
    }

    private static void SeedTorch(int seed)
    {
        torch.manual_seed(seed);
        if (torch.cuda.is_available()) torch.cuda.manual_seed_all(seed);
    }
}
