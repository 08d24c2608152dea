using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Training;

/// <summary>Attaches adapters to the target layers of a model by name, lists them, and merges them into W after training.</summary>
internal static class AdapterInjector
{
    /// <summary>
    /// Attaches an adapter to every <see cref="LoRALinear"/> of the encoder whose name ends with one of the targets at a dot boundary
    /// (<c>query</c> matches <c>bert.encoder.layer.0.attention.self.query</c>; <c>attention.output.dense</c> only the attention output).
    /// Task-head layers never get one: the head trains in full. Throws when a target matches no layer, naming the target and
    /// the layer names that exist.
    /// </summary>
    /// <returns>The full names of the adapted layers, in model order.</returns>
    public static IReadOnlyList<string> Inject(SequenceClassifier model, AdapterConfig config)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        var linearLayers = LinearLayers(model)
            .Where(layer => !model.HeadParameterPrefixes.Any(prefix => (layer.Name + ".").StartsWith(prefix, StringComparison.Ordinal)))
            .ToList();
        var targets = new HashSet<string>(config.TargetModules ?? model.DefaultAdapterTargets, StringComparer.Ordinal);
        foreach (var target in targets)
        {
            if (!linearLayers.Any(layer => Matches(layer.Name, target)))
            {
                var available = linearLayers.Select(layer => NameWithinLayer(layer.Name)).Distinct().Order(StringComparer.Ordinal);
                throw new ArgumentOutOfRangeException(nameof(FineTuningOptions.TargetModules), target,
                    $"The adapter target '{target}' matches no linear layer of the {model.Family} encoder; available layer names: {string.Join(", ", available)}.");
            }
        }

        var selected = linearLayers.Where(layer => targets.Any(target => Matches(layer.Name, target))).ToList();
        RequireRankWithinLayers(selected, config.Rank);
        var adapted = new List<string>();
        foreach (var (name, layer) in selected)
        {
            if (layer.HasAdapter)
                throw new InvalidOperationException($"Layer '{name}' already has an adapter of rank {layer.Rank}; merge or detach it before injecting again.");
            layer.AttachAdapter(config.Rank, config.Alpha, config.RankStabilized);
            adapted.Add(name);
        }
        return adapted;
    }

    /// <summary>
    /// The adapted layers a run trains, in model order. With <paramref name="config"/> (LoRA, Delta-LoRA): attaches adapters, unless the
    /// model already carries adapters of the configured rank and scaling (attached by the caller with <see cref="Inject"/> to start
    /// from given A matrices). Without (full fine-tuning, which trains W directly): refuses a model with adapters.
    /// </summary>
    public static IReadOnlyList<LoRALinear> Prepare(SequenceClassifier model, AdapterConfig? config)
    {
        var existing = AdaptedLayers(model);
        if (config is null)
        {
            if (existing.Count > 0)
                throw new InvalidOperationException($"Full fine-tuning trains W directly, but layer '{existing[0].Name}' carries an adapter; merge or detach adapters first.");
            return [];
        }
        if (existing.Count == 0)
        {
            Inject(model, config);
            return AdaptedLayers(model).Select(l => l.Layer).ToList();
        }
        foreach (var (name, layer) in existing)
        {
            if (layer.Rank != config.Rank || Math.Abs(layer.Scaling - config.Scaling) > 1e-12 * config.Scaling)
                throw new InvalidOperationException(
                    $"Layer '{name}' already carries an adapter of rank {layer.Rank} and scaling {layer.Scaling}, but the options ask for rank {config.Rank} and scaling {config.Scaling}.");
        }
        return existing.Select(l => l.Layer).ToList();
    }

    /// <summary>B·A of an out×in layer has rank at most min(in, out): a larger r adds cost and nothing else.</summary>
    private static void RequireRankWithinLayers(IReadOnlyList<(string Name, LoRALinear Layer)> layers, int rank)
    {
        var (name, layer) = layers.MinBy(l => Math.Min(l.Layer.InFeatures, l.Layer.OutFeatures));
        long bound = Math.Min(layer.InFeatures, layer.OutFeatures);
        if (rank > bound)
            throw new ArgumentOutOfRangeException(nameof(FineTuningOptions.Rank), rank,
                $"Rank {rank} exceeds what the adapted layer '{name}' ({layer.OutFeatures}×{layer.InFeatures}) can use: the rank must be at most min(in, out) = {bound} for every adapted matrix.");
    }

    /// <summary>The layers that currently carry an adapter, with their full names.</summary>
    public static IReadOnlyList<(string Name, LoRALinear Layer)> AdaptedLayers(Module model)
        => LinearLayers(model).Where(layer => layer.Layer.HasAdapter).ToList();

    /// <summary>Folds every adapter into its W (see <see cref="LoRALinear.MergeAdapter"/>), so inference costs exactly the base model.</summary>
    public static void MergeAll(Module model)
    {
        foreach (var (_, layer) in AdaptedLayers(model)) layer.MergeAdapter();
    }

    private static List<(string Name, LoRALinear Layer)> LinearLayers(Module model)
        => model.named_modules().Where(m => m.module is LoRALinear).Select(m => (m.name, (LoRALinear)m.module)).ToList();

    private static bool Matches(string layerName, string target)
        => layerName == target || layerName.EndsWith("." + target, StringComparison.Ordinal);

    /// <summary>The part of a layer's name after its layer index (<c>attention.output.dense</c> of <c>bert.encoder.layer.3.attention.output.dense</c>).</summary>
    private static string NameWithinLayer(string name)
    {
        var segments = name.Split('.');
        int index = Array.FindLastIndex(segments, segment => segment.All(char.IsAsciiDigit));
        return index < 0 ? name : string.Join('.', segments[(index + 1)..]);
    }
}
