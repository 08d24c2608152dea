namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// Identity and version of the DeltaLoRA transformer inside an ML.NET model zip.
/// Versions (written / readable / oldest read back):
///   0x00010001  first format: task, column names, class count, inference batch size, label key values, scorer loader
///               type name and the scorer's named payload streams.
///   0x00010002  the scorer loader type name replaced by a fixed scorer format tag (<see cref="ScorerFormats"/>).
/// A change to the layout bumps the written version; a reader that can still read older files keeps the oldest one.
/// </summary>
internal static class TransformerModelFormat
{
    /// <summary>Exactly 8 characters (ML.NET packs it into a 64-bit signature).</summary>
    public const string ModelSignature = "DLORATRF";

    /// <summary>At most 24 characters; the name the component catalog finds the loader by.</summary>
    public const string LoaderSignature = "DeltaLoRATransformer";

    public const uint CurrentVersion = 0x00010002;

    /// <summary>The first version that records a scorer format tag rather than a loader type name.</summary>
    public const uint FormatTagVersion = 0x00010002;
    public const uint OldestReadableVersion = 0x00010001;

    public const string KeyValuesStream = "LabelKeyValues.bin";
    public const string PayloadStreamPrefix = "Scorer.";

    public static VersionInfo GetVersionInfo() => new(
        modelSignature: ModelSignature,
        verWrittenCur: CurrentVersion,
        verReadableCur: CurrentVersion,
        verWeCanReadBack: OldestReadableVersion,
        // The simple name: ML.NET loads this assembly by it when a fresh process reads the model.
        loaderAssemblyName: typeof(TransformerModelFormat).Assembly.GetName().Name,
        loaderSignature: LoaderSignature,
        loaderSignatureAlt: null);
}
