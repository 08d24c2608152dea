using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Bert;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling;

/// <summary>
/// Text pairs read as a bi-encoder: each text encoded alone by the shared encoder, pooled into u and v, the head on
/// [u, v, |u−v|, u⊙v]; trained by the same adapters and update rule, saved and reloaded like any model.
/// </summary>
public sealed class BiEncoderTests
{
    private static string BertClassifier => HuggingFaceFixtures.ModelFolder("bert", "BertForSequenceClassification");

    private const string First = "the cat sat on the mat";
    private const string Second = "a dog barked loudly";

    [SharedTheory]
    [InlineData(SentencePooling.Pooler)]
    [InlineData(SentencePooling.MeanOfTokens)]
    public void The_head_reads_u_v_their_distance_and_product_of_each_text_encoded_alone(SentencePooling pooling)
    {
        using var scope = NewDisposeScope();
        using var model = TextClassificationModel.LoadPretrained(BertClassifier, 3, pooling: pooling, pairEncoding: SentencePairEncoding.BiEncoder);
        var network = (BertForSequenceClassification)model.Network;
        var logits = model.PredictRaw([First], [Second], maxSequenceLength: 64, batchSize: 4);

        // The reference: the same encoder run on each text as a single-text input, pooled, and the classifier applied by hand.
        using var noGrad = no_grad();
        Tensor Pooled(string text)
        {
            using var batch = BatchCollator.Collate([model.Tokenizer.Encode(text, null, 64)], model.Tokenizer);
            var output = network.Bert.Encode(batch);
            return pooling == SentencePooling.Pooler ? output.PoolerOutput! : TokenPooling.Mean(output.LastHiddenState, batch.AttentionMask);
        }
        var (u, v) = (Pooled(First), Pooled(Second));
        var features = cat([u, v, (u - v).abs(), u * v], 1);
        var byHand = features.matmul(network.Classifier.weight.t()) + network.Classifier.bias!;

        Assert.Equal(4 * network.Config.HiddenSize, network.Classifier.weight.shape[1]);
        Assert.True(tensor(logits).reshape(1, 3).allclose(byHand, rtol: 1e-5, atol: 1e-6), "The logits are not the head on [u, v, |u−v|, u⊙v].");
        var swapped = model.PredictRaw([Second], [First], 64, 4);
        Assert.NotEqual(logits, swapped); // u and v have their own places
    }

    [SharedFact]
    public void Gradients_reach_both_texts_paths()
    {
        using var scope = NewDisposeScope();
        using var model = TextClassificationModel.LoadPretrained(BertClassifier, 2, dropoutOverride: 0, pairEncoding: SentencePairEncoding.BiEncoder);
        var network = (BertForSequenceClassification)model.Network;
        network.train();
        var pair = model.Encode(First, Second, 64);
        using var batch = BatchCollator.Collate([pair], model.Tokenizer);
        Assert.True(batch.HoldsPairs);
        Assert.Equal(1, batch.ExampleCount);

        network.forward(batch).sum().backward();

        var grad = network.named_parameters().Single(p => p.name == "bert.embeddings.word_embeddings.weight").parameter.grad!;
        var firstOnly = pair.InputIds.Except(pair.Second!.InputIds).ToArray();
        var secondOnly = pair.Second.InputIds.Except(pair.InputIds).ToArray();
        Assert.NotEmpty(firstOnly);
        Assert.NotEmpty(secondOnly);
        Assert.All(firstOnly, id => Assert.True(grad[id].abs().sum().item<float>() > 0, $"token {id} of the first text got no gradient"));
        Assert.All(secondOnly, id => Assert.True(grad[id].abs().sum().item<float>() > 0, $"token {id} of the second text got no gradient"));
    }

    [SharedFact]
    public void A_saved_bi_encoder_predicts_identically_after_reload_in_a_fresh_process()
    {
        var ml = new MLContext(seed: 1);
        var loader = RteLoader(ml);
        var options = ClassificationOptions("Sentence2");
        options.ModelPath = BertClassifier;
        options.PairEncoding = SentencePairEncoding.BiEncoder;
        (options.MaxSteps, options.BatchSize, options.MaxSequenceLength, options.LearningRate, options.StartSteps) = (8, 8, 64, 1e-2, 2);
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.DeltaLoRA(options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(loader.Load(RteTrain));
        using var folder = new TemporaryDirectory();
        var path = folder.File("model.zip");
        ml.Model.Save(model, loader, path);

        var expected = PersistenceTests.ExpectedLines(model.Transform(loader.Load(RteEval)));

        Assert.True(expected.Distinct().Count() > 1, "The model should not score every row alike.");
        Assert.Equal(expected, ModelLoadCheckProcess.Run(path, RteEval));
    }

    [SharedFact]
    public void Families_without_a_bi_encoder_head_say_so()
    {
        var roberta = HuggingFaceFixtures.ModelFolder("roberta", "RobertaForSequenceClassification");
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TextClassificationModel.LoadPretrained(roberta, 2, pairEncoding: SentencePairEncoding.BiEncoder));
        Assert.Contains("Roberta head reads a pair as one sequence", error.Message);
    }
}
