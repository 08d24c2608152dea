using Microsoft.ML.DeltaLoRA.Benchmarks.Flops;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.UseLite;
using Microsoft.ML.DeltaLoRA.Training;

namespace Microsoft.ML.DeltaLoRA.Tests.Benchmarks;

/// <summary>
/// The benchmark's analytic FLOP counts against hand arithmetic on tiny real models, prepared for training by the real
/// FineTuner (adapters of rank 2 on query and value, its trainable set). Two sequences of 3 and 2 tokens:
/// T = Σl = 5 token rows, S = Σl² = 13 attention pairs per unit of width, B = 2 pooled rows. A linear layer costs 2·rows·in·out
/// forward; its backward costs that again for ∂x when x depends on something trainable, and again for ∂W when W trains.
/// </summary>
public class FlopCountTests
{
    private static readonly SequenceLengths Lengths = new([3, 2]);

    // BERT: hidden 4, 2 heads, FFN 8, 2 layers.
    private const string TinyBertJson = """
        {"model_type": "bert", "vocab_size": 10, "hidden_size": 4, "num_hidden_layers": 2, "num_attention_heads": 2,
         "intermediate_size": 8, "max_position_embeddings": 16, "type_vocab_size": 2}
        """;

    [Fact]
    public void BertFullFineTuningIsThreeTimesTheForward()
    {
        // Per layer: q, k, v, attention output 4 × 2·5·4·4 = 640; intermediate 2·5·4·8 = 320; output 320;
        // scores and context 2 × 2·S·hidden = 2 × 2·13·4 = 208. Layer: 1488; two layers 2976.
        // Pooler 2·B·4·4 = 64, classifier 2·B·4·2 = 32. Forward 3072.
        // Everything trains (embeddings too), so every product needs ∂input and every weight ∂W: backward 2 × 3072.
        var ledger = CountBert(FineTuningMethod.Full);
        Assert.Equal(3072, ledger.Forward);
        Assert.Equal(6144, ledger.Backward);
    }

    [Theory]
    [InlineData(FineTuningMethod.LoRA)]
    [InlineData(FineTuningMethod.DeltaLoRA)]
    public void BertAdapterMethodsCountInputGradientsOnlyWhereSomethingUpstreamTrains(FineTuningMethod method)
    {
        // Forward: 3072 + adapters on q and v of both layers, each A·x 2·5·4·2 = 80 and B·(Ax) 2·5·2·4 = 80: + 4 × 160 = 3712.
        // Backward, layer 0 (its input, the embeddings, is frozen):
        //   q: W·x nothing; B: ∂B 80 + ∂(Ax) 80; A: ∂A 80 → 240.  k: nothing (frozen in, frozen W).  v: 240.
        //   scores Q·Kᵀ: only Q needs a gradient → 104.  context P·V: both → 208.
        //   attention output, intermediate, output: ∂x only → 160 + 320 + 320.  Layer 0: 1592.
        // Layer 1 (its input depends on layer 0's adapters):
        //   q: ∂x 160 + B 160 + A (∂A 80 + ∂x 80) → 480.  k: ∂x 160.  v: 480.  scores 208, context 208.
        //   attention output 160, intermediate 320, output 320.  Layer 1: 2336.
        // Head (bert.pooler and classifier train): pooler ∂x 64 + ∂W 64, classifier 32 + 32 → 192.
        var ledger = CountBert(method);
        Assert.Equal(3712, ledger.Forward);
        Assert.Equal(1592 + 2336 + 192, ledger.Backward);
    }

    [Fact]
    public void BertInferenceCountsTheForwardOnly()
    {
        using var model = PretrainedModels.CreateSequenceClassifier(EncoderConfig.Parse(TinyBertJson), 2);
        var ledger = BertFlops.Count(EncoderConfig.Parse(TinyBertJson), ParameterTrainability.Inference(model), Lengths, 2);
        Assert.Equal(3072, ledger.Forward);
        Assert.Equal(0, ledger.Backward);
    }

    [Fact]
    public void UseLiteFullFineTuningIsThreeTimesTheForward()
    {
        // Layer 0 attends in 4 and projects to 8: q, k, v 3 × 2·5·4·4 = 480; scores + context 2 × 2·13·4 = 208;
        //   output 2·5·4·8 = 320; residual projection 320; FFN 2 × 2·5·8·12 = 1920.  3248.
        // Layer 1 attends in 8: q, k, v 3 × 640 = 1920; attention 2 × 2·13·8 = 416; output 640; FFN 1920.  4896.
        // Pooler 2·B·8·8 = 256, classifier 2·B·8·2 = 64.  Forward 8464; backward 2 × 8464.
        var ledger = CountUseLite(FineTuningMethod.Full);
        Assert.Equal(8464, ledger.Forward);
        Assert.Equal(16928, ledger.Backward);
    }

    [Fact]
    public void UseLiteLoRAKeepsThePoolerFrozenAndTheResidualProjectionFree()
    {
        // Forward: 8464 + adapters: layer 0 q, v each 80 + 80; layer 1 q, v each 2·5·8·2 + 2·5·2·8 = 320 → 8464 + 960.
        // Backward, layer 0 (frozen input): q 240, v 240 (as for BERT), k 0; scores 104, context 208; output ∂x 320;
        //   residual projection of the frozen input 0; FFN ∂x 1920.  3032.
        // Layer 1 (A·x 2·5·8·2 = 160, B·(Ax) 160): q ∂x 640 + B (∂B 160 + ∂(Ax) 160) + A (∂A 160 + ∂x 160) = 1280, v 1280,
        //   k ∂x 640; scores 2 × 208, context 2 × 208; output 640; FFN 1920.  6592.
        // Head: only "classifier." trains; the pooler (encoder.pooler) is frozen but its input needs ∂x: 256; classifier 64 + 64.
        var ledger = CountUseLite(FineTuningMethod.LoRA);
        Assert.Equal(8464 + 960, ledger.Forward);
        Assert.Equal(3032 + 6592 + 256 + 128, ledger.Backward);
    }

    [Fact]
    public void ACountForAnotherShapeThanTheModelIsRefused()
    {
        using var model = PretrainedModels.CreateSequenceClassifier(EncoderConfig.Parse(TinyBertJson), 2);
        var wider = EncoderConfig.Parse(TinyBertJson) with { IntermediateSize = 16 };
        var error = Assert.Throws<InvalidOperationException>(() => BertFlops.Count(wider, ParameterTrainability.Inference(model), Lengths, 2));
        Assert.Contains("intermediate.dense", error.Message);
    }

    [Fact]
    public void SequenceLengthsSumTokensAndSquares()
    {
        Assert.Equal(5, Lengths.Tokens);
        Assert.Equal(13, Lengths.SquaredTokens);
        Assert.Equal(2, Lengths.Count);
        var uniform = SequenceLengths.Uniform(16, 128);
        Assert.Equal(2048, uniform.Tokens);
        Assert.Equal(16 * 128 * 128, uniform.SquaredTokens);
    }

    private static FlopLedger CountBert(FineTuningMethod method)
    {
        var config = EncoderConfig.Parse(TinyBertJson);
        using var model = PretrainedModels.CreateSequenceClassifier(config, 2);
        using var tuner = new FineTuner(model, Options(method), totalSteps: 1);
        return BertFlops.Count(config, ParameterTrainability.Training(model), Lengths, 2);
    }

    private static FlopLedger CountUseLite(FineTuningMethod method)
    {
        var config = new UseLiteConfig { VocabularyRows = 10, EmbeddingSize = 4, HiddenSize = 8, IntermediateSize = 12, NumLayers = 2, NumHeads = 2, MaxPositions = 16 };
        using var model = new UseLiteClassifier(new UseLiteEncoder(config), 2);
        using var tuner = new FineTuner(model, Options(method), totalSteps: 1);
        return UseLiteFlops.Count(config, ParameterTrainability.Training(model), Lengths, 2);
    }

    private static FineTuningOptions Options(FineTuningMethod method) => new() { Method = method, Rank = 2, Alpha = 4, Seed = 0 };
}
