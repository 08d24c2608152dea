using Microsoft.ML.DeltaLoRA.Training;
using TorchSharp;

namespace Microsoft.ML.DeltaLoRA.Tests.Training;

public class AdapterInjectorTests
{
    [Fact]
    public void DefaultTargetsAdaptQueryAndValueOfEveryBlockOnly()
    {
        using var model = new TinyClassifier();
        var adapted = AdapterInjector.Inject(model, new AdapterConfig(Rank: 4, Alpha: 8, RankStabilized: false, model.DefaultAdapterTargets));

        Assert.Equal(["blocks.0.query", "blocks.0.value", "blocks.1.query", "blocks.1.value"], adapted);
        var adapterParameters = model.named_parameters().Select(p => p.name).Where(n => n.Contains("lora_")).ToArray();
        Assert.Equal(8, adapterParameters.Length);
        Assert.All(AdapterInjector.AdaptedLayers(model), layer =>
        {
            Assert.Equal(4, layer.Layer.Rank);
            Assert.Equal(2.0, layer.Layer.Scaling);
        });
    }

    [Fact]
    public void RankStabilizedScalingIsAlphaOverSquareRootOfRank()
    {
        using var model = new TinyClassifier();
        AdapterInjector.Inject(model, new AdapterConfig(Rank: 4, Alpha: 8, RankStabilized: true, TargetModules: ["dense"]));
        var layers = AdapterInjector.AdaptedLayers(model);
        Assert.Equal(["blocks.0.dense", "blocks.1.dense"], layers.Select(l => l.Name));
        Assert.All(layers, l => Assert.Equal(4.0, l.Layer.Scaling));
    }

    /// <summary>B·A of a 16×16 layer has rank at most 16: a larger r only costs time (and memory), so it is refused before training.</summary>
    [Fact]
    public void RankAboveTheSmallerSideOfAnAdaptedMatrixIsRefusedBeforeAnythingChanges()
    {
        using var model = new TinyClassifier(hidden: 16);
        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => new FineTuner(model, new FineTuningOptions { Rank = 17, Alpha = 34 }, totalSteps: 10));
        Assert.Equal(nameof(FineTuningOptions.Rank), error.ParamName);
        Assert.Contains("Rank 17", error.Message);
        Assert.Contains("'blocks.0.query'", error.Message);
        Assert.Contains("16", error.Message);
        Assert.Empty(AdapterInjector.AdaptedLayers(model));

        using var tuner = new FineTuner(model, new FineTuningOptions { Rank = 16, Alpha = 32 }, totalSteps: 10);
        Assert.Equal(4, AdapterInjector.AdaptedLayers(model).Count);
    }

    [Fact]
    public void TaskHeadNeverGetsAnAdapter()
    {
        using var model = new TinyClassifier();
        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => AdapterInjector.Inject(model, new AdapterConfig(2, 4, false, ["classifier"])));
        Assert.Contains("'classifier'", error.Message);
        Assert.Empty(AdapterInjector.AdaptedLayers(model));
    }

    [Fact]
    public void UnknownTargetIsNamedWithTheAvailableLayerNames()
    {
        using var model = new TinyClassifier();
        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => AdapterInjector.Inject(model, new AdapterConfig(2, 4, false, ["query", "q_proj"])));
        Assert.Equal("TargetModules", error.ParamName);
        Assert.Contains("'q_proj'", error.Message);
        Assert.Contains("available layer names: dense, key, query, value", error.Message);
        Assert.Empty(AdapterInjector.AdaptedLayers(model)); // nothing attached when the configuration is wrong
    }

    [Fact]
    public void MergeAllFoldsEveryAdapterAndKeepsTheOutputs()
    {
        torch.manual_seed(3);
        using var model = new TinyClassifier(dropoutProbability: 0);
        model.eval();
        AdapterInjector.Inject(model, new AdapterConfig(2, 4, false, ["query", "value", "dense"]));
        using (torch.no_grad())
        {
            foreach (var (_, layer) in AdapterInjector.AdaptedLayers(model)) layer.lora_B!.normal_();
        }
        var (sequences, _) = TinyData.Examples(6, seed: 1);
        using var batch = TinyData.Batch(sequences);
        using var before = model.forward(batch);
        AdapterInjector.MergeAll(model);
        Assert.Empty(AdapterInjector.AdaptedLayers(model));
        using var after = model.forward(batch);
        Assert.True(torch.allclose(before, after, rtol: 1e-5, atol: 1e-5));
    }
}
