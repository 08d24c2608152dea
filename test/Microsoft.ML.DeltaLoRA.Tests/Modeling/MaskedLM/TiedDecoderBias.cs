using Microsoft.ML.DeltaLoRA.Modeling;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling.MaskedLM;

/// <summary>
/// The vocabulary projection of a masked-LM head whose weight is the word embedding matrix: this module owns only
/// the output <c>bias</c> (DistilBERT's <c>vocab_projector</c>); the weight is passed in at each call.
/// </summary>
internal sealed class TiedDecoderBias : HuggingFaceModule<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // The field name is the parameter name, so TorchSharp's device moves keep field and registration together.
    private Parameter bias;
#pragma warning restore IDE1006

    public TiedDecoderBias(long vocabularySize) : base(nameof(TiedDecoderBias))
    {
        bias = new Parameter(torch.zeros(vocabularySize));
        register_parameter(nameof(bias), bias);
    }

    public Parameter Bias => bias;

    /// <summary>hidden · embeddingsᵀ + bias.</summary>
    public override Tensor forward(Tensor hidden, Tensor wordEmbeddings) => torch.nn.functional.linear(hidden, wordEmbeddings, bias);
}
