using Microsoft.ML.DeltaLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Tests.Training;

public class TrainableSetTests
{
    [Fact]
    public void FullFineTuningTrainsEveryParameterWithoutAdapters()
    {
        var (model, tuner, before) = Train(FineTuningMethod.Full);
        using (model)
        using (tuner)
        {
            Assert.Empty(AdapterInjector.AdaptedLayers(model));
            Assert.All(model.named_parameters(), p => Assert.True(p.parameter.requires_grad, $"{p.name} does not train."));
            foreach (var (name, parameter) in model.named_parameters())
                Assert.False(TinyData.BitIdentical(parameter, before[name]), $"{name} did not change.");
        }
        TinyData.DisposeAll(before);
    }

    [Theory]
    [InlineData(FineTuningMethod.LoRA)]
    [InlineData(FineTuningMethod.DeltaLoRA)]
    public void AdapterMethodsTrainOnlyAdaptersAndHead(FineTuningMethod method)
    {
        var (model, tuner, before) = Train(method);
        using (model)
        using (tuner)
        {
            var adaptedWeights = AdapterInjector.AdaptedLayers(model).Select(l => $"{l.Name}.weight").ToHashSet();
            foreach (var (name, parameter) in model.named_parameters())
            {
                bool isAdapter = name.Contains(".lora_");
                bool isHead = name.StartsWith("classifier.");
                Assert.Equal(isAdapter || isHead, parameter.requires_grad);
                bool expectedToMove = isAdapter || isHead || (method == FineTuningMethod.DeltaLoRA && adaptedWeights.Contains(name));
                if (expectedToMove)
                    Assert.False(TinyData.BitIdentical(parameter, before[name]), $"{name} did not change.");
                else if (before.TryGetValue(name, out var initial))
                    Assert.True(TinyData.BitIdentical(parameter, initial), $"{name} changed but {method} must leave it bit-identical.");
            }
        }
        TinyData.DisposeAll(before);
    }

    [Fact]
    public void BiasesAndLayerNormWeightsGetNoWeightDecayByDefault()
    {
        using var model = new TinyClassifier();
        var split = AdamWParameterGroups.Select(model, FineTuningMethod.Full, decayAll: false);
        string[] expectedNoDecay =
        [
            "LayerNorm.weight", "LayerNorm.bias", "classifier.bias",
            .. new[] { 0, 1 }.SelectMany(b => new[] { "LayerNorm.weight", "LayerNorm.bias", "query.bias", "key.bias", "value.bias", "dense.bias" }.Select(n => $"blocks.{b}.{n}")),
        ];
        Assert.Equal(expectedNoDecay.ToHashSet(), split.NotDecayed.Select(p => p.Name).ToHashSet());
        Assert.Equal(model.parameters().Count() - expectedNoDecay.Length, split.Decayed.Count);
        Assert.Contains(split.Decayed, p => p.Name == "word_embeddings.weight");

        var all = AdamWParameterGroups.Select(model, FineTuningMethod.Full, decayAll: true);
        Assert.Empty(all.NotDecayed);
        Assert.Equal(model.parameters().Count(), all.Decayed.Count);
    }

    [Fact]
    public void FullFineTuningRefusesAModelWithAdapters()
    {
        using var model = new TinyClassifier();
        AdapterInjector.Inject(model, new AdapterConfig(2, 4, false, ["query"]));
        var error = Assert.Throws<InvalidOperationException>(() => new FineTuner(model, new FineTuningOptions { Method = FineTuningMethod.Full }, 10));
        Assert.Contains("blocks.0.query", error.Message);
    }

    [Fact]
    public void PreAttachedAdaptersMustMatchTheOptions()
    {
        using var model = new TinyClassifier();
        AdapterInjector.Inject(model, new AdapterConfig(2, 4, false, ["query"]));
        var error = Assert.Throws<InvalidOperationException>(() => new FineTuner(model, new FineTuningOptions { Rank = 8 }, 10));
        Assert.Contains("rank 2", error.Message);
        Assert.Contains("rank 8", error.Message);
    }

    private static (TinyClassifier Model, FineTuner Tuner, Dictionary<string, Tensor> Before) Train(FineTuningMethod method)
    {
        var model = new TinyClassifier();
        var options = new FineTuningOptions { Method = method, Rank = 4, Alpha = 8, StartSteps = 2, LearningRate = 1e-2, BatchSize = 8, Seed = 1 };
        var tuner = new FineTuner(model, options, totalSteps: 6);
        var before = TinyData.Snapshot(model);
        var (sequences, labels) = TinyData.Examples(48, seed: 1);
        tuner.Train(sequences, labels, TinyData.PadTokenId, withTokenTypeIds: false);
        return (model, tuner, before);
    }
}
