using Microsoft.ML.DeltaLoRA.Modeling;
using TorchSharp;
using TorchSharp.Modules;

namespace Microsoft.ML.DeltaLoRA.Training;

/// <summary>
/// The parameters a method trains, split into AdamW's weight-decay and no-decay groups, and the AdamW that updates them.
/// LoRA and Delta-LoRA train the adapters and the task head (W stays out of the optimizer: no gradient, no Adam state);
/// full fine-tuning trains every parameter.
/// </summary>
internal sealed class AdamWParameterGroups
{
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999; // PyTorch's default; TorchSharp's torch.optim.AdamW factory defaults to 0.99.
    private const double Epsilon = 1e-8;

    private AdamWParameterGroups(List<(string Name, Parameter Parameter)> decayed, List<(string Name, Parameter Parameter)> notDecayed)
    {
        Decayed = decayed;
        NotDecayed = notDecayed;
    }

    public IReadOnlyList<(string Name, Parameter Parameter)> Decayed { get; }
    public IReadOnlyList<(string Name, Parameter Parameter)> NotDecayed { get; }
    public IEnumerable<(string Name, Parameter Parameter)> All => Decayed.Concat(NotDecayed);

    /// <summary>
    /// Sets <c>requires_grad</c> on every parameter of <paramref name="model"/> for <paramref name="method"/> and groups the trainable ones.
    /// Unless <paramref name="decayAll"/>, biases and layer-norm weights go to the no-decay group.
    /// </summary>
    public static AdamWParameterGroups Select(SequenceClassifier model, FineTuningMethod method, bool decayAll)
    {
        var layerNormParameters = LayerNormParameterNames(model);
        var decayed = new List<(string, Parameter)>();
        var notDecayed = new List<(string, Parameter)>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            bool trainable = method == FineTuningMethod.Full || IsAdapter(name) || IsHead(name, model.HeadParameterPrefixes);
            parameter.requires_grad = trainable;
            if (!trainable) continue;
            bool decay = decayAll || !(name == "bias" || name.EndsWith(".bias", StringComparison.Ordinal) || layerNormParameters.Contains(name));
            (decay ? decayed : notDecayed).Add((name, parameter));
        }
        if (decayed.Count + notDecayed.Count == 0)
            throw new InvalidOperationException($"{method} fine-tuning found no trainable parameter in {model.GetName()}: it has no adapters and no parameter starts with the head prefixes [{string.Join(", ", model.HeadParameterPrefixes)}].");
        return new AdamWParameterGroups(decayed, notDecayed);
    }

    /// <summary>AdamW over the non-empty groups: the decay group with <paramref name="weightDecay"/>, the other with none.</summary>
    public AdamW CreateOptimizer(double learningRate, double weightDecay)
    {
        var groups = new List<AdamW.ParamGroup>();
        if (Decayed.Count > 0) groups.Add(Group(Decayed, weightDecay));
        if (NotDecayed.Count > 0) groups.Add(Group(NotDecayed, 0));
        return torch.optim.AdamW(groups, learningRate, Beta1, Beta2, Epsilon, weightDecay);

        AdamW.ParamGroup Group(IReadOnlyList<(string Name, Parameter Parameter)> parameters, double groupWeightDecay)
            => new(parameters.Select(p => p.Parameter).ToArray(), learningRate, Beta1, Beta2, Epsilon, groupWeightDecay, amsgrad: false, maximize: false);
    }

    private static bool IsAdapter(string name)
        => name.EndsWith("lora_A", StringComparison.Ordinal) || name.EndsWith("lora_B", StringComparison.Ordinal);

    private static bool IsHead(string name, IReadOnlyList<string> headPrefixes)
        => headPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>Parameters owned by a LayerNorm module, or by a module whose name says it is one (LayerNorm, *_layer_norm).</summary>
    private static HashSet<string> LayerNormParameterNames(SequenceClassifier model)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (moduleName, module) in model.named_modules())
        {
            if (moduleName.Length == 0) continue;
            var lastSegment = moduleName[(moduleName.LastIndexOf('.') + 1)..];
            bool isLayerNorm = module is LayerNorm
                || lastSegment.Contains("layernorm", StringComparison.OrdinalIgnoreCase)
                || lastSegment.Contains("layer_norm", StringComparison.OrdinalIgnoreCase);
            if (!isLayerNorm) continue;
            foreach (var (parameterName, _) in module.named_parameters(recurse: false)) names.Add($"{moduleName}.{parameterName}");
        }
        return names;
    }
}
