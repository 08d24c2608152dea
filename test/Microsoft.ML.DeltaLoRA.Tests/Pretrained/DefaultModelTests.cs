using Microsoft.ML.DeltaLoRA.Architectures;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using TorchSharp;

namespace Microsoft.ML.DeltaLoRA.Tests.Pretrained;

/// <summary>
/// <c>ModelPath = null</c> means MiniLM in the model cache, as in the CLI; a missing model fails with the command that fetches
/// it; USE-Lite stays available by name.
/// </summary>
public sealed class DefaultModelTests
{
    [Fact]
    public void AMissingDefaultModelNamesTheCommandThatFetchesIt()
    {
        using var cache = new TempFolder();
        var error = Assert.Throws<DirectoryNotFoundException>(() => NamedModels.ResolveFolder(null, cache.Path));
        Assert.Contains("The default model 'minilm' (all-MiniLM-L6-v2", error.Message);
        Assert.Contains($"not in '{Path.Combine(cache.Path, "minilm")}'", error.Message);
        Assert.Contains("deltalora fetch-model minilm", error.Message);
        Assert.Contains("bash build/fetch-model.sh minilm", error.Message);
        Assert.Contains(ModelCache.EnvironmentVariable, error.Message);
    }

    [Fact]
    public void TheDefaultModelIsMiniLMsFolderInTheCache()
    {
        using var cache = new TempFolder();
        var folder = Path.Combine(cache.Path, "minilm");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), "{}");
        Assert.Equal(folder, NamedModels.ResolveFolder(null, cache.Path));
        Assert.Equal(folder, NamedModels.ResolveFolder("MiniLM", cache.Path));
    }

    [Fact]
    public void AMissingUseLiteNamesItsOwnFetchCommand()
    {
        using var cache = new TempFolder();
        var error = Assert.Throws<InvalidOperationException>(() => NamedModels.ResolveFolder("use-lite", cache.Path));
        Assert.Contains(Path.Combine(cache.Path, "use-lite"), error.Message);
        Assert.Contains("bash build/fetch-model.sh use-lite", error.Message);
    }

    [NamedModelFact("minilm")]
    public void NullLoadsTheSameModelAsMiniLMByName()
    {
        Assert.Equal(ModelFamily.Bert, TextClassificationModel.FamilyOf(null));
        string?[] texts = ["a gripping, funny film", "dull"];
        float[] Logits(string? modelPath)
        {
            torch.manual_seed(7);
            using var model = TextClassificationModel.LoadPretrained(modelPath, numLabels: 2);
            Assert.Equal(SentencePooling.MeanOfTokens, model.Network.Pooling); // what MiniLM's sentence-transformers folder declares
            return model.PredictRaw(texts, null, maxSequenceLength: 32, batchSize: 2);
        }
        Assert.Equal(Logits(NamedModels.MiniLM.Name), Logits(null));
    }
}
