using Microsoft.ML.DeltaLoRA.Checkpoints;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Modeling.DistilBert;

/// <summary>DistilBERT's stack of layers (<c>transformer.layer.0</c> ... <c>transformer.layer.N-1</c>).</summary>
internal sealed class Transformer : HuggingFaceModule<Tensor, Tensor?, Tensor>
{
    private readonly ModuleList<TransformerBlock> layers;

    public Transformer(EncoderConfig config) : base(nameof(Transformer))
    {
        layers = Child("layer", ModuleList(Enumerable.Range(0, config.NumLayers).Select(_ => new TransformerBlock(config)).ToArray()));
    }

    public IReadOnlyList<TransformerBlock> Layers => [.. layers];

    /// <summary>The last layer's output; takes ownership of <paramref name="embeddings"/>.</summary>
    public override Tensor forward(Tensor embeddings, Tensor? additiveMask) => Run(embeddings, additiveMask, keep: null);

    /// <summary>Like <see cref="forward"/>, adding the embeddings and every layer's output to <paramref name="keep"/> when given.</summary>
    public Tensor Run(Tensor embeddings, Tensor? additiveMask, List<Tensor>? keep) => LayerStack.Run(layers, embeddings, additiveMask, keep);
}
