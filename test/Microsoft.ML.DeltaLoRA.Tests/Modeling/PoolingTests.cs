using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Bert;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling;

/// <summary>
/// The head's pooling (BERT's pooler, [CLS] state, mean of tokens), checkpoints saved without a pooler, and pooling kept
/// through the saved files.
/// </summary>
public sealed class PoolingTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static string BertClassifier => HuggingFaceFixtures.ModelFolder("bert", "BertForSequenceClassification");

    [Fact]
    public void TheMeanOfTokensIgnoresPadding()
    {
        using var scope = NewDisposeScope();
        var states = randn(2, 5, 3);
        var mask = tensor(new long[,] { { 1, 1, 1, 0, 0 }, { 1, 1, 1, 1, 1 } });
        var pooled = TokenPooling.Mean(states, mask);
        Assert.True(pooled[0].allclose(states[0, ..3].mean([0]), rtol: 1e-6, atol: 1e-7));
        Assert.True(pooled[1].allclose(states[1].mean([0]), rtol: 1e-6, atol: 1e-7));
        // Changing what sits at padded positions changes nothing.
        var noisy = states.clone();
        noisy[0, 3..] = noisy[0, 3..] * 100 + 7;
        Assert.True(TokenPooling.Mean(noisy, mask).allclose(pooled, rtol: 0, atol: 0));
    }

    [SharedTheory]
    [InlineData(SentencePooling.Pooler)]
    [InlineData(SentencePooling.ClsToken)]
    [InlineData(SentencePooling.MeanOfTokens)]
    public void TheHeadReadsWhatItsPoolingSays(SentencePooling pooling)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = EncoderConfig.Load(BertClassifier);
        using var model = (BertForSequenceClassification)PretrainedModels.LoadSequenceClassifier(BertClassifier, 3, pooling: pooling);
        var expected = HuggingFaceFixtures.Case("bert", "BertForSequenceClassification", "tokenized_texts");
        using var batch = HuggingFaceFixtures.Batch(expected.GetProperty("inputs"));
        using var output = model.Run(batch);
        var states = output.Encoder.LastHiddenState;
        var vector = pooling switch
        {
            SentencePooling.Pooler => model.Bert.Pooler!.forward(states),
            SentencePooling.ClsToken => states[.., 0],
            _ => (states * batch.AttentionMask.unsqueeze(-1)).sum(1) / batch.AttentionMask.sum(1, keepdim: true),
        };
        var byHand = vector.matmul(model.Classifier.weight.t()) + model.Classifier.bias!;
        Assert.True(output.Logits.allclose(byHand, rtol: 1e-5, atol: 1e-6), $"{pooling}: the logits are not the classifier of the pooled vector");
        Assert.Equal(pooling == SentencePooling.Pooler, model.named_parameters().Any(p => p.name.Contains(".pooler.", StringComparison.Ordinal)));
        if (pooling == SentencePooling.Pooler)
        {
            var transformers = HuggingFaceFixtures.FloatTensor(expected.GetProperty("outputs").GetProperty("logits").GetProperty("float32"));
            HuggingFaceFixtures.AssertClose(transformers, output.Logits, 1e-4, "pooler logits");
        }
    }

    [SharedTheory]
    [InlineData(SentencePooling.Pooler)]
    [InlineData(SentencePooling.ClsToken)]
    [InlineData(SentencePooling.MeanOfTokens)]
    public void SavedFilesKeepThePooling(SentencePooling pooling)
    {
        string?[] texts = ["a short one", "", "Hello world! The quick brown fox jumps over the lazy dog."];
        using var original = TextClassificationModel.LoadPretrained(BertClassifier, numLabels: 2, pooling: pooling);
        using var rebuilt = TextClassificationModel.FromFiles(original.ToFiles(), "test files");
        Assert.Equal(pooling, rebuilt.Network.Pooling);
        Assert.Equal(original.PredictRaw(texts, null, 32, 2), rebuilt.PredictRaw(texts, null, 32, 2));
    }

    [SharedFact]
    public void ACheckpointWithoutAPoolerLoadsWithAFreshOneAndSaysSo()
    {
        var source = HuggingFaceFixtures.ModelFolder("bert", "BertModel");
        using (var weights = CheckpointWeights.Read(source))
        using (var stream = File.Create(temp.File("model.safetensors")))
        {
            SafetensorsWriter.Write(stream, weights.Where(pair => !pair.Key.StartsWith("pooler.", StringComparison.Ordinal)));
        }
        foreach (var name in new[] { "config.json", "vocab.txt", "tokenizer_config.json" })
            File.Copy(Path.Combine(source, name), temp.File(name));

        using var scope = NewDisposeScope();
        using var encoder = PretrainedModels.LoadEncoder(temp.Path);
        var expected = HuggingFaceFixtures.Case("bert", "BertModel", "tokenized_texts");
        using var batch = HuggingFaceFixtures.Batch(expected.GetProperty("inputs"));
        using (no_grad())
        {
            using var output = encoder.Encode(batch);
            HuggingFaceFixtures.AssertClose(
                HuggingFaceFixtures.FloatTensor(expected.GetProperty("outputs").GetProperty("last_hidden_state").GetProperty("float32")),
                output.LastHiddenState, 1e-4, "last_hidden_state without a pooler");
            Assert.NotNull(output.PoolerOutput);
        }

        using var withPooler = TextClassificationModel.LoadPretrained(temp.Path, 2, pooling: SentencePooling.Pooler);
        Assert.Contains(withPooler.LoadNotes, note => note.Contains("pooler.dense.weight", StringComparison.Ordinal) && note.Contains("freshly initialised", StringComparison.Ordinal));
        using var withMean = TextClassificationModel.LoadPretrained(temp.Path, 2, pooling: SentencePooling.MeanOfTokens);
        Assert.Empty(withMean.LoadNotes);
    }

    [SharedFact]
    public void PoolingOtherThanTheFirstTokenIsRefusedForRoberta()
    {
        var folder = HuggingFaceFixtures.ModelFolder("roberta", "RobertaForSequenceClassification");
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TextClassificationModel.LoadPretrained(folder, 2, pooling: SentencePooling.MeanOfTokens));
        Assert.Contains("BERT models only", error.Message);
    }
}
