using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Modeling.Adapters;

/// <summary>Puts a <see cref="FineTuneDelta"/> onto its base network: W ← W_0 + Left·Right for every adapted weight, and the other trained tensors in place of the base's.</summary>
internal static class FineTuneDeltaMerge
{
    /// <summary>
    /// Applies <paramref name="delta"/> to <paramref name="network"/>, which holds the base weights. Every name and shape is
    /// checked before anything changes; <paramref name="source"/> names the delta in errors.
    /// </summary>
    public static void AddTo(Module network, FineTuneDelta delta, string source)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(delta);
        var tensors = ModuleTensors.Export(network);
        foreach (var weight in delta.AdaptedWeights)
        {
            var target = Find(tensors, weight.WeightName, source);
            if (!target.shape.SequenceEqual(new long[] { weight.Rows, weight.Columns }) || weight.Left.Length != (long)weight.Rows * weight.Rank
                || weight.Right.Length != (long)weight.Rank * weight.Columns)
                throw new InvalidDataException(
                    $"The delta of '{weight.WeightName}' in {source} is {weight.Rows}×{weight.Rank} by {weight.Rank}×{weight.Columns}; the base weight is [{string.Join(", ", target.shape)}].");
        }
        foreach (var (name, tensor) in delta.OtherTrainedTensors)
        {
            var target = Find(tensors, name, source);
            if (!target.shape.SequenceEqual(tensor.Shape) || tensor.Values.Length != target.numel())
                throw new InvalidDataException($"The tensor '{name}' in {source} has shape [{string.Join(", ", tensor.Shape)}]; the network's is [{string.Join(", ", target.shape)}].");
        }

        using var noGrad = torch.no_grad();
        foreach (var weight in delta.AdaptedWeights)
        {
            using var scope = torch.NewDisposeScope();
            var target = tensors[weight.WeightName];
            var left = torch.tensor(weight.Left, [weight.Rows, weight.Rank]).to(target.dtype, target.device);
            var right = torch.tensor(weight.Right, [weight.Rank, weight.Columns]).to(target.dtype, target.device);
            target.addmm_(left, right, beta: 1, alpha: 1); // returns the target itself, which must not be disposed
        }
        foreach (var (name, tensor) in delta.OtherTrainedTensors)
        {
            using var values = torch.tensor(tensor.Values, tensor.Shape);
            tensors[name].copy_(values);
        }
    }

    private static Tensor Find(IReadOnlyDictionary<string, Tensor> tensors, string name, string source)
        => tensors.TryGetValue(name, out var tensor)
            ? tensor
            : throw new InvalidDataException($"{source} changes the tensor '{name}', which the base network does not have.");
}
