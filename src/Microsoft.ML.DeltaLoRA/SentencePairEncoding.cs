namespace Microsoft.ML.DeltaLoRA;

/// <summary>How a model reads a pair of texts (entailment, paraphrase, similarity).</summary>
public enum SentencePairEncoding
{
    /// <summary>One sequence holding both texts (<c>[CLS] a [SEP] b [SEP]</c>), so attention compares their tokens: a cross-encoder.</summary>
    CrossEncoder,

    /// <summary>
    /// Each text encoded alone by the same encoder and pooled into u and v; the head reads [u, v, |u−v|, u⊙v] (Reimers and Gurevych
    /// 2019, Sentence-BERT): a bi-encoder, which keeps what sentence-embedding models were trained for. BERT and USE-Lite models.
    /// </summary>
    BiEncoder,
}
