namespace Microsoft.ML.DeltaLoRA;

/// <summary>Rebuilds an <see cref="ITextScorer"/> from the payload it saved. Named in the model zip by type name.</summary>
internal interface ITextScorerLoader
{
    /// <summary>Throws <see cref="InvalidDataException"/> naming the blob when the payload is incomplete or malformed.</summary>
    ITextScorer Load(IReadOnlyDictionary<string, byte[]> payload);
}
