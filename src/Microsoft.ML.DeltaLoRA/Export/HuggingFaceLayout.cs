using Microsoft.ML.DeltaLoRA.Modeling;

namespace Microsoft.ML.DeltaLoRA.Export;

/// <summary>The two shapes a Hugging Face export takes, chosen by whether transformers has a class that computes our head.</summary>
internal enum HuggingFaceLayout
{
    /// <summary>
    /// transformers' own <c>BertForSequenceClassification</c>, <c>RobertaForSequenceClassification</c> or
    /// <c>DistilBertForSequenceClassification</c>: <c>AutoModelForSequenceClassification.from_pretrained</c> loads the folder and
    /// computes the same logits. BERT with its pooler read as one sequence, and every RoBERTa and DistilBERT model.
    /// </summary>
    SequenceClassification,

    /// <summary>
    /// The encoder as transformers' <c>BertModel</c> (<c>AutoModel</c>) and the head in <see cref="HuggingFaceExport.HeadFileName"/>:
    /// a BERT head that reads the mean of the tokens, the bare [CLS] state, or a pair's two texts separately (a bi-encoder) has no
    /// <c>...ForSequenceClassification</c> class in transformers (its head always reads tanh(dense([CLS]))). The folder's README
    /// gives the few lines of PyTorch that apply pooling and head; single-text mean or [CLS] models also load as a
    /// sentence-transformers model whose embedding is the logits.
    /// </summary>
    EncoderAndHead,
}

internal static class HuggingFaceLayouts
{
    /// <summary>The layout that reproduces <paramref name="network"/>'s outputs.</summary>
    public static HuggingFaceLayout Of(SequenceClassifier network)
        => network.PairEncoding == SentencePairEncoding.CrossEncoder && (network.Pooling == SentencePooling.Pooler || !network.ChoosesPooling())
            ? HuggingFaceLayout.SequenceClassification
            : HuggingFaceLayout.EncoderAndHead;

    /// <summary>Whether the head's pooling is a choice (BERT) rather than the family's fixed head (RoBERTa, DistilBERT read the first token their own way).</summary>
    private static bool ChoosesPooling(this SequenceClassifier network) => Architectures.ModelFamilies.Of(network.Family).ChoosesPooling;
}
