namespace Microsoft.ML.DeltaLoRA.Architectures;

/// <summary>The encoder architectures the library can load and fine-tune.</summary>
internal enum ModelFamily
{
    Bert,
    Roberta,
    DistilBert,
    /// <summary>Google's Universal Sentence Encoder Lite (TF.js graph model), the default pretrained model.</summary>
    UseLite,
}
