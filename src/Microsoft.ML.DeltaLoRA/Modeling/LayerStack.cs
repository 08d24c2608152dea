using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Modeling;

internal static class LayerStack
{
    /// <summary>
    /// Runs <paramref name="layers"/> one after the other on <paramref name="embeddings"/> (which it takes ownership of)
    /// and returns the last output. With <paramref name="keep"/>, the embeddings and every layer's output are added to it
    /// instead of being disposed on the way.
    /// </summary>
    public static Tensor Run<TLayer>(IEnumerable<TLayer> layers, Tensor embeddings, Tensor? additiveMask, List<Tensor>? keep)
        where TLayer : Module<Tensor, Tensor?, Tensor>
    {
        keep?.Add(embeddings);
        var hidden = embeddings;
        foreach (var layer in layers)
        {
            var next = layer.forward(hidden, additiveMask);
            if (keep is null) hidden.Dispose();
            else keep.Add(next);
            hidden = next;
        }
        return hidden;
    }
}
