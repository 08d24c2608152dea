using Microsoft.ML.DeltaLoRA.Checkpoints;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>
/// Copies a Hugging Face checkpoint into one of our models by name, as transformers' <c>from_pretrained</c> matches names:
/// with or without the family prefix (<c>bert.</c>, <c>roberta.</c>, <c>distilbert.</c>), TF-era <c>LayerNorm.gamma/beta</c>
/// read as <c>weight/bias</c>, and extra tensors (buffers such as <c>embeddings.position_ids</c>, tied decoder copies,
/// other heads) ignored. Encoder tensors must be present with the right shape; head tensors (names starting with a head prefix)
/// that are missing, or shaped for another label count, keep their fresh initialisation.
/// </summary>
internal static class HuggingFaceWeightLoader
{
    public static TensorCopyReport Load(Module model, EncoderConfig config, StateDict checkpoint, IReadOnlyList<string> headPrefixes)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(checkpoint);
        var files = string.Join(", ", checkpoint.SourceFiles);
        var byName = NormalizedNames(checkpoint);
        var prefix = config.BaseModelPrefix + ".";
        bool IsHead(string name) => headPrefixes.Any(head => name.StartsWith(head, StringComparison.Ordinal));

        var resolved = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var reshapedHeads = new List<string>();
        foreach (var (name, target) in ModuleTensors.Export(model))
        {
            var checkpointName = Candidates(name, prefix).FirstOrDefault(byName.ContainsKey);
            if (checkpointName is null)
            {
                if (IsHead(name)) continue;
                throw new InvalidDataException(
                    $"The checkpoint '{files}' has no tensor '{name}' (nor '{Candidates(name, prefix).Last()}'); expected shape [{string.Join(", ", target.shape)}].");
            }
            var tensor = byName[checkpointName];
            if (!tensor.shape.SequenceEqual(target.shape) && IsHead(name))
            {
                reshapedHeads.Add(name);
                continue;
            }
            var originalName = checkpoint.Keys.First(key => Normalize(key) == checkpointName);
            ModuleTensors.CheckShape(originalName, target, tensor, checkpoint.SourceOf(originalName));
            resolved[name] = tensor;
        }
        var report = ModuleTensors.CopyFrom(model, resolved, files, IsHead);
        var unused = checkpoint.Keys.Where(key => !resolved.Values.Any(tensor => ReferenceEquals(tensor, checkpoint[key]))).ToArray();
        return report with { LeftAsInitialized = [.. report.LeftAsInitialized, .. reshapedHeads], Unused = unused };
    }

    /// <summary>Names to look for, in order: the model's own name, then without or with the family prefix.</summary>
    private static IEnumerable<string> Candidates(string name, string prefix)
    {
        yield return name;
        if (name.StartsWith(prefix, StringComparison.Ordinal)) yield return name[prefix.Length..];
        else yield return prefix + name;
    }

    private static Dictionary<string, Tensor> NormalizedNames(StateDict checkpoint)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in checkpoint) result.TryAdd(Normalize(name), tensor);
        return result;
    }

    /// <summary>TF-converted checkpoints call LayerNorm's weight and bias gamma and beta.</summary>
    private static string Normalize(string name)
    {
        if (name.EndsWith(".gamma", StringComparison.Ordinal)) return name[..^".gamma".Length] + ".weight";
        if (name.EndsWith(".beta", StringComparison.Ordinal)) return name[..^".beta".Length] + ".bias";
        return name;
    }
}
