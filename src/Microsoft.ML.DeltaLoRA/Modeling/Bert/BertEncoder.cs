using Microsoft.ML.DeltaLoRA.Checkpoints;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Modeling.Bert;

/// <summary>The stack of transformer layers (<c>encoder.layer.0</c> ... <c>encoder.layer.N-1</c>).</summary>
internal sealed class BertEncoder : HuggingFaceModule<Tensor, Tensor?, Tensor>
{
    private readonly ModuleList<BertLayer> layers;

    public BertEncoder(EncoderConfig config) : base(nameof(BertEncoder))
    {
        layers = Child("layer", ModuleList(Enumerable.Range(0, config.NumLayers).Select(_ => new BertLayer(config)).ToArray()));
    }

    public IReadOnlyList<BertLayer> Layers => [.. layers];

    /// <summary>The last layer's output; takes ownership of <paramref name="embeddings"/>.</summary>
    public override Tensor forward(Tensor embeddings, Tensor? additiveMask) => Run(embeddings, additiveMask, keep: null);

    /// <summary>Like <see cref="forward"/>, adding the embeddings and every layer's output to <paramref name="keep"/> when given.</summary>
    public Tensor Run(Tensor embeddings, Tensor? additiveMask, List<Tensor>? keep) => LayerStack.Run(layers, embeddings, additiveMask, keep);
}
