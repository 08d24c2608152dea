using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Modeling.UseLite;

/// <summary>The pre-norm feed-forward block of a USE-Lite layer: layer norm, 512→1536 ReLU (<c>conv1</c>), 1536→512 (<c>conv2</c>).</summary>
internal sealed class UseLiteFeedForward : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    public readonly LayerNorm layer_norm;
    public readonly LoRALinear intermediate;
    public readonly LoRALinear output;
#pragma warning restore IDE1006

    public UseLiteFeedForward(int width, int intermediateSize, double layerNormEpsilon) : base(nameof(UseLiteFeedForward))
    {
        layer_norm = LayerNorm(width, eps: layerNormEpsilon);
        intermediate = new LoRALinear(width, intermediateSize);
        output = new LoRALinear(intermediateSize, width);
        register_module(nameof(layer_norm), layer_norm);
        register_module(nameof(intermediate), intermediate);
        register_module(nameof(output), output);
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var activated = functional.relu(intermediate.forward(layer_norm.forward(hidden)));
        return output.forward(activated).MoveToOuterDisposeScope();
    }
}
