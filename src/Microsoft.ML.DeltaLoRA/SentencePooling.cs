namespace Microsoft.ML.DeltaLoRA;

/// <summary>
/// How a BERT classifier turns the encoder's token states into the one vector its head reads. Sentence-embedding models are
/// trained with a pooling of their own (all-MiniLM-L6-v2: the mean over tokens; arctic-embed-xs: the [CLS] state), so fine-tuning
/// them works best with that pooling; <c>FineTuningOptions.Pooling = null</c> takes the model's own.
/// </summary>
public enum SentencePooling
{
    /// <summary>BERT's pooler: tanh(dense([CLS] state)), as Hugging Face's <c>BertForSequenceClassification</c> does.</summary>
    Pooler,

    /// <summary>The [CLS] token's final state, with no pooler layer.</summary>
    ClsToken,

    /// <summary>The mean of the final states of the real (unpadded) tokens.</summary>
    MeanOfTokens,
}
