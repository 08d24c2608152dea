using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Bert;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Modeling.Roberta;

/// <summary>
/// The RoBERTa encoder (Hugging Face <c>RobertaModel</c>): BERT's network, whose positions count from <c>pad_token_id + 1</c>
/// over non-padding tokens (see <see cref="BertEmbeddings"/>) and whose single token type is always 0.
/// </summary>
internal sealed class RobertaModel : BertModel
{
    public RobertaModel(EncoderConfig config, bool addPoolingLayer = true) : base(nameof(RobertaModel), config, addPoolingLayer)
    {
        if (config.Family != ModelFamily.Roberta)
            throw new ArgumentOutOfRangeException(nameof(config), config.Family, "A RobertaModel needs a RoBERTa config.");
    }
}
