namespace DeltaLoRA.Cli.Commands;

/// <summary>The values of <c>--pair-encoding</c>: short names for <c>SentencePairEncoding</c>.</summary>
internal enum PairEncodingChoice
{
    Cross,
    Bi,
}
