using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>Copies named tensors into a module's parameters and buffers, and reads them back out for saving.</summary>
internal static class ModuleTensors
{
    /// <summary>
    /// The module's parameters and persistent buffers by name (the live tensors, not copies): what a checkpoint of it holds.
    /// </summary>
    public static IReadOnlyDictionary<string, Tensor> Export(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, parameter) in module.named_parameters()) result[name] = parameter;
        foreach (var (name, buffer) in module.named_buffers(include_nonpersistent: false)) result[name] = buffer;
        return result;
    }

    /// <summary>
    /// Copies <paramref name="source"/> into the module's tensors of the same name (converting dtype and device), checking
    /// every shape first, so that a failed load changes nothing. A module tensor missing from the source is an error unless
    /// <paramref name="mayBeMissing"/> accepts its name; source tensors the module does not have are ignored and reported.
    /// <paramref name="sourceName"/> names the source (a file) in errors.
    /// </summary>
    public static TensorCopyReport CopyFrom(
        Module module,
        IReadOnlyDictionary<string, Tensor> source,
        string sourceName,
        Func<string, bool>? mayBeMissing = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(source);
        var targets = Export(module);
        var pairs = new List<(Tensor Target, Tensor Source)>();
        var copied = new List<string>();
        var missing = new List<string>();
        foreach (var (name, target) in targets)
        {
            if (!source.TryGetValue(name, out var tensor))
            {
                if (mayBeMissing?.Invoke(name) == true)
                {
                    missing.Add(name);
                    continue;
                }
                throw new InvalidDataException(
                    $"The checkpoint '{sourceName}' has no tensor '{name}' (expected shape [{string.Join(", ", target.shape)}]).");
            }
            CheckShape(name, target, tensor, sourceName);
            pairs.Add((target, tensor));
            copied.Add(name);
        }
        using (torch.no_grad())
        {
            foreach (var (target, tensor) in pairs) target.copy_(tensor);
        }
        var unused = source.Keys.Where(name => !targets.ContainsKey(name)).ToArray();
        return new TensorCopyReport(copied, missing, unused);
    }

    internal static void CheckShape(string name, Tensor target, Tensor source, string sourceName)
    {
        if (!target.shape.SequenceEqual(source.shape))
            throw new InvalidDataException(
                $"The tensor '{name}' in '{sourceName}' has shape [{string.Join(", ", source.shape)}]; expected [{string.Join(", ", target.shape)}].");
        if (torch.is_floating_point(target) != torch.is_floating_point(source))
            throw new InvalidDataException($"The tensor '{name}' in '{sourceName}' has type {source.dtype}; expected {target.dtype}.");
    }
}

/// <summary>What a tensor copy did: the names copied, the module tensors left as they were, and the source tensors not used.</summary>
internal sealed record TensorCopyReport(IReadOnlyList<string> Copied, IReadOnlyList<string> LeftAsInitialized, IReadOnlyList<string> Unused);
