using Microsoft.ML.DeltaLoRA.Architectures;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling.MaskedLM;

/// <summary>
/// Masked-LM models of the three Hugging Face families, built from a fixture folder. The library fine-tunes classifiers only;
/// these heads exist to compare the shared encoders against transformers' masked-LM outputs.
/// </summary>
internal static class MaskedLMs
{
    public static MaskedLanguageModel Load(string folder, Device? device = null)
    {
        var config = EncoderConfig.Load(folder);
        using var weights = CheckpointWeights.Read(folder);
        return PretrainedModels.FromWeights(Create(config), config, weights, device).Model;
    }

    public static MaskedLanguageModel Create(EncoderConfig config) => config.Family switch
    {
        ModelFamily.Bert => new BertForMaskedLM(config),
        ModelFamily.Roberta => new RobertaForMaskedLM(config),
        ModelFamily.DistilBert => new DistilBertForMaskedLM(config),
        _ => throw new ArgumentOutOfRangeException(nameof(config), config.Family, "Only BERT, RoBERTa and DistilBERT have masked-LM heads here."),
    };
}
