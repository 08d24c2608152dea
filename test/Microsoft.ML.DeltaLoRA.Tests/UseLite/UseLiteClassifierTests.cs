using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Microsoft.ML.DeltaLoRA.Modeling.UseLite;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using TorchSharp;
using static TorchSharp.torch;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Tests.UseLite;

/// <summary>Structure and invariants of the encoder and classifier, on random weights (no download needed).</summary>
public class UseLiteClassifierTests
{
    private static readonly UseLiteConfig Small = new() { VocabularyRows = 50, EmbeddingSize = 16, HiddenSize = 24, IntermediateSize = 32, NumHeads = 4, MaxPositions = 8 };

    [Fact]
    public void ParametersAreNamedAndShapedLikeTheGraphWithSeparateQueryKeyValue()
    {
        using var model = new UseLiteClassifier(new UseLiteEncoder(), numLabels: 3);
        var shapes = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal([8002L, 256L], shapes["encoder.word_embeddings.weight"]);
        foreach (var part in new[] { "query", "key", "value" })
        {
            Assert.Equal([256L, 256L], shapes[$"encoder.layer.0.attention.{part}.weight"]);
            Assert.Equal([512L, 512L], shapes[$"encoder.layer.1.attention.{part}.weight"]);
        }
        Assert.Equal([512L, 256L], shapes["encoder.layer.0.attention.output.weight"]);
        Assert.Equal([512L, 256L], shapes["encoder.layer.0.residual_projection.weight"]);
        Assert.DoesNotContain("encoder.layer.1.residual_projection.weight", shapes.Keys);
        Assert.Equal([256L], shapes["encoder.layer.0.attention.layer_norm.weight"]);
        Assert.Equal([512L], shapes["encoder.layer.0.feed_forward.layer_norm.weight"]);
        Assert.Equal([1536L, 512L], shapes["encoder.layer.1.feed_forward.intermediate.weight"]);
        Assert.Equal([512L, 1536L], shapes["encoder.layer.1.feed_forward.output.weight"]);
        Assert.Equal([512L, 512L], shapes["encoder.pooler.weight"]);
        Assert.Equal([3L, 512L], shapes["classifier.weight"]);
        Assert.Contains("encoder.timing_inv_timescales", model.named_buffers().Select(b => b.name));

        Assert.Equal(ModelFamily.UseLite, model.Family);
        Assert.Equal(["classifier."], model.HeadParameterPrefixes);
        Assert.Equal(["query", "value"], model.DefaultAdapterTargets);
        var targets = model.named_modules().Where(m => model.DefaultAdapterTargets.Contains(m.name.Split('.')[^1])).ToList();
        Assert.Equal(4, targets.Count);
        Assert.All(targets, t => Assert.IsType<LoRALinear>(t.module));
        // Every module and tensor appears once, under its registered name (no compiler-generated field names).
        var stateKeys = model.state_dict().Keys.ToHashSet();
        Assert.Equal(shapes.Keys.Append("encoder.timing_inv_timescales").ToHashSet(), stateKeys);
        Assert.DoesNotContain(model.named_modules(), m => m.name.Contains('<'));
    }

    [Fact]
    public void DefaultTimescalesAreTensor2TensorsGeometricSeries()
    {
        using var timescales = UseLiteEncoder.DefaultInverseTimescales(128);
        var values = timescales.data<float>().ToArray();
        Assert.Equal(1f, values[0]);
        Assert.Equal(1e-4f, values[127], 1e-9f);
        Assert.Equal(Math.Pow(1e-4, 1.0 / 127), values[1], 1e-6);
    }

    [Fact]
    public void SentenceVectorsAreUnitLengthAndIgnorePaddingAndBatchmates()
    {
        torch.manual_seed(11);
        using var encoder = new UseLiteEncoder(Small);
        encoder.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var short1 = new EncodedSequence([5, 9, 2], new int[3]);
        var long1 = new EncodedSequence([7, 1, 1, 30, 49, 3, 8], new int[7]);
        var empty = new EncodedSequence([], []);
        using var batch = BatchCollator.Collate([short1, long1, empty], padTokenId: 0, withTokenTypeIds: false);
        var together = encoder.forward(batch);
        Assert.Equal([3L, 24L], together.shape);
        Assert.True(allclose(together.norm(1), ones(3), rtol: 0, atol: 1e-5));

        for (int i = 0; i < 2; i++)
        {
            using var alone = BatchCollator.Collate([i == 0 ? short1 : long1], 0, false);
            Assert.True(allclose(encoder.forward(alone)[0], together[i], rtol: 0, atol: 1e-6), $"row {i} changed with padding");
        }
        // Padding with other ids changes nothing either.
        using var otherPadding = BatchCollator.Collate([short1, long1, empty], padTokenId: 42, withTokenTypeIds: false);
        Assert.True(allclose(encoder.forward(otherPadding), together, rtol: 0, atol: 1e-6));
        // A sentence with no tokens pools to zeros: tanh of the pooler bias, normalized.
        var pooledEmpty = encoder.pooler.bias!.tanh();
        Assert.True(allclose(together[2], pooledEmpty / pooledEmpty.norm(), rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void PositionsPastTheMaximumAreDroppedLikeTheGraphsClip()
    {
        torch.manual_seed(12);
        using var encoder = new UseLiteEncoder(Small);
        encoder.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int[] ids = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        using var longBatch = BatchCollator.Collate([new EncodedSequence(ids, new int[10])], 0, false);
        using var clipped = BatchCollator.Collate([new EncodedSequence(ids[..8], new int[8])], 0, false);
        Assert.True(allclose(encoder.forward(longBatch), encoder.forward(clipped), rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void BadIdsAndShapesAreReportedByName()
    {
        using var encoder = new UseLiteEncoder(Small);
        using var scope = NewDisposeScope();
        using var batch = new EncoderBatch(tensor(new long[] { 1, 50 }, [1, 2]), ones(1, 2, dtype: ScalarType.Int64));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => encoder.forward(batch));
        Assert.Equal("InputIds", error.ParamName);
        Assert.Contains("50", error.Message);
        Assert.Contains("0 to 49", error.Message);

        using var mismatched = new EncoderBatch(tensor(new long[] { 1, 2 }, [1, 2]), ones(1, 3, dtype: ScalarType.Int64));
        Assert.Throws<ArgumentOutOfRangeException>(() => encoder.forward(mismatched));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UseLiteClassifier(new UseLiteEncoder(Small), numLabels: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UseLiteEncoder(Small with { NumHeads = 5 }));
    }

    [Fact]
    public void AdaptersOnQueryAndValueTrainWithTheHeadAndStartAsIdentity()
    {
        torch.manual_seed(13);
        using var model = new UseLiteClassifier(new UseLiteEncoder(Small), numLabels: 2, classifierDropout: 0.1);
        using var scope = NewDisposeScope();
        using var batch = BatchCollator.Collate([new EncodedSequence([4, 5, 6], new int[3]), new EncodedSequence([7, 8], new int[2])], 0, false);
        model.eval();
        Tensor before;
        using (no_grad()) before = model.forward(batch);

        foreach (var (name, module) in model.named_modules())
            if (module is LoRALinear linear && model.DefaultAdapterTargets.Contains(name.Split('.')[^1])) linear.AttachAdapter(rank: 2, alpha: 4);
        using (no_grad()) Assert.True(allclose(model.forward(batch), before, rtol: 0, atol: 1e-6));

        model.train();
        var loss = nn.functional.cross_entropy(model.forward(batch), tensor(new long[] { 0, 1 }));
        loss.backward();
        var grads = model.named_parameters().Where(p => p.parameter.grad is not null && p.parameter.grad.abs().sum().item<float>() > 0)
            .Select(p => p.name).ToHashSet();
        Assert.Contains("classifier.weight", grads);
        Assert.Contains("encoder.layer.0.attention.query.lora_B", grads);
        Assert.Contains("encoder.layer.1.attention.value.lora_B", grads);
    }
}
