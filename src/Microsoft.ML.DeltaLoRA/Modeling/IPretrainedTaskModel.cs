using Microsoft.ML.DeltaLoRA.Checkpoints;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>An encoder with a task head (sequence classifier or masked LM), as loaded from a Hugging Face checkpoint.</summary>
internal interface IPretrainedTaskModel
{
    EncoderConfig Config { get; }

    /// <summary>The encoder, registered under the family's prefix (<c>bert</c>, <c>roberta</c>, <c>distilbert</c>).</summary>
    PretrainedEncoder Encoder { get; }

    /// <summary>
    /// Name prefixes of the head's parameters. When a checkpoint lacks them, or holds them with another shape (another label
    /// count), they keep Hugging Face's fresh initialisation instead of failing the load.
    /// </summary>
    IReadOnlyList<string> HeadParameterPrefixes { get; }

    /// <summary>Runs the model, returning the logits and, with <paramref name="outputHiddenStates"/>, every hidden state.</summary>
    TaskOutput Run(EncoderBatch batch, bool outputHiddenStates = false);
}
