namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>Rebuilds an <see cref="ITextScorer"/> from the payload it saved. Found by the format tag recorded in the model zip (<see cref="ScorerFormats"/>).</summary>
internal interface ITextScorerLoader
{
    /// <summary>Throws <see cref="InvalidDataException"/> naming the blob when the payload is incomplete or malformed.</summary>
    ITextScorer Load(IReadOnlyDictionary<string, byte[]> payload);
}
