using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Benchmarks.Flops;

/// <summary>
/// Which parameters of a real model train (its <c>requires_grad</c> flags, as <c>FineTuner</c> set them) and which linear
/// layers carry an adapter of which rank. The FLOP counts ask for parameters by name; a name the model does not have is an
/// error, so that a count cannot silently describe another network than the one timed.
/// </summary>
internal sealed class ParameterTrainability
{
    private readonly Dictionary<string, bool> _trains;
    private readonly Dictionary<string, LoRALinear> _linearLayers;

    private ParameterTrainability(Dictionary<string, bool> trains, Dictionary<string, LoRALinear> linearLayers)
    {
        _trains = trains;
        _linearLayers = linearLayers;
    }

    /// <summary>The model as it is now (after <c>FineTuner</c> prepared it for training).</summary>
    public static ParameterTrainability Training(Module model)
        => new(model.named_parameters().ToDictionary(p => p.name, p => p.parameter.requires_grad),
            LinearLayers(model).ToDictionary(l => l.Name, l => l.Layer));

    /// <summary>The model for inference: nothing needs a gradient (adapters, if any, still cost their forward products).</summary>
    public static ParameterTrainability Inference(Module model)
        => new(model.named_parameters().ToDictionary(p => p.name, _ => false),
            LinearLayers(model).ToDictionary(l => l.Name, l => l.Layer));

    public bool Trains(string parameterName)
        => _trains.TryGetValue(parameterName, out bool trains)
            ? trains
            : throw new InvalidOperationException($"The FLOP count asks for parameter '{parameterName}', which the model does not have.");

    /// <summary>Whether any of the parameters under <paramref name="modulePrefix"/> (a module name) trains; throws when there are none.</summary>
    public bool AnyTrains(string modulePrefix)
    {
        var owned = _trains.Where(p => p.Key.StartsWith(modulePrefix + ".", StringComparison.Ordinal)).ToList();
        if (owned.Count == 0) throw new InvalidOperationException($"The FLOP count asks for module '{modulePrefix}', which owns no parameter of the model.");
        return owned.Any(p => p.Value);
    }

    /// <summary>
    /// A linear layer (LoRALinear) of the model by module name, with the sizes the count expects from the config: adds it to
    /// the ledger with the layer's own trainability and adapter rank. Throws when the model's layer has other sizes.
    /// </summary>
    public Flow Linear(FlopLedger ledger, string layerName, Flow input, double rows, long inFeatures, long outFeatures)
    {
        if (!_linearLayers.TryGetValue(layerName, out var layer))
            throw new InvalidOperationException($"The FLOP count asks for linear layer '{layerName}', which the model does not have.");
        if (layer.InFeatures != inFeatures || layer.OutFeatures != outFeatures)
            throw new InvalidOperationException(
                $"The FLOP count expects '{layerName}' to map {inFeatures} to {outFeatures} features; the model's layer maps {layer.InFeatures} to {layer.OutFeatures}.");
        bool biasTrains = _trains.TryGetValue(layerName + ".bias", out bool trains) && trains;
        return ledger.Linear(layerName, input, rows, inFeatures, outFeatures, Trains(layerName + ".weight"), biasTrains, layer.Rank);
    }

    private static IEnumerable<(string Name, LoRALinear Layer)> LinearLayers(Module model)
        => model.named_modules().Where(m => m.module is LoRALinear).Select(m => (m.name, (LoRALinear)m.module));
}
