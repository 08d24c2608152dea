using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>
/// What an encoder computes for a batch, as Hugging Face names it: <see cref="LastHiddenState"/> [batch, sequence, hidden],
/// the <see cref="PoolerOutput"/> [batch, hidden] of models with a pooler, and, when asked for, <see cref="HiddenStates"/>:
/// the embeddings output (index 0) and the output of every layer (index i). Disposing it disposes every tensor.
/// </summary>
internal sealed class EncoderOutput(Tensor lastHiddenState, Tensor? poolerOutput, IReadOnlyList<Tensor> hiddenStates) : IDisposable
{
    public Tensor LastHiddenState { get; } = lastHiddenState;
    public Tensor? PoolerOutput { get; } = poolerOutput;
    /// <summary>Empty unless hidden states were asked for; then the last entry is <see cref="LastHiddenState"/> itself.</summary>
    public IReadOnlyList<Tensor> HiddenStates { get; } = hiddenStates;

    public void Dispose()
    {
        foreach (var state in HiddenStates)
            if (!ReferenceEquals(state, LastHiddenState)) state.Dispose();
        LastHiddenState.Dispose();
        PoolerOutput?.Dispose();
    }
}

/// <summary>A task model's output: the logits of its head and what its encoder computed.</summary>
internal sealed class TaskOutput(Tensor logits, EncoderOutput encoder) : IDisposable
{
    /// <summary>[batch, labels] for sequence classifiers, [batch, sequence, vocabulary] for masked language models.</summary>
    public Tensor Logits { get; } = logits;
    public EncoderOutput Encoder { get; } = encoder;

    public void Dispose()
    {
        Logits.Dispose();
        Encoder.Dispose();
    }
}
