using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

public class TransformTests
{
    public sealed class Sst2Input
    {
        public string Sentence1 { get; set; } = "";
        public float Label { get; set; }
    }

    public sealed class Sst2Prediction
    {
        public float[] Score { get; set; } = [];
        public float PredictedLabel { get; set; }
    }

    /// <summary>The fixture model fine-tuned on SST-2 (once per class), in a pipeline whose fitted model records the engine's calls.</summary>
    private static (ITransformer Model, RecordingEngine Engine) Fit(MLContext ml, int inferenceBatchSize)
    {
        var fitted = Sst2Fitted.Value;
        var (model, engine) = Recording(DeltaLoRAPart(fitted), inferenceBatchSize);
        var parts = ((IEnumerable<ITransformer>)fitted).ToArray();
        return (new TransformerChain<ITransformer>(parts[0], model, parts[2]), engine);
    }

    private static readonly Lazy<ITransformer> Sst2Fitted = new(() =>
    {
        var ml = new MLContext(seed: 1);
        return ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.DeltaLoRA(ClassificationOptions()))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(Sst2Loader(ml).Load(Sst2Train));
    });

    private static int EvalRowCount => File.ReadLines(Sst2Eval).Count() - 1;

    [SharedFact]
    public void Transform_hands_every_row_once_with_the_inference_batch_size_and_batching_does_not_change_the_scores()
    {
        var ml = new MLContext(seed: 1);
        var eval = Sst2Loader(ml).Load(Sst2Eval);
        var sentences = File.ReadLines(Sst2Eval).Skip(1).Select(l => l.Split('\t')[0]).ToArray();
        var results = new Dictionary<int, float[][]>();
        foreach (var batchSize in new[] { 1, 7, 1000 })
        {
            var (model, engine) = Fit(ml, batchSize);
            results[batchSize] = ReadScores(model.Transform(eval));
            // Every row once, in order, each call asking for forward passes of at most the batch size.
            Assert.All(engine.Calls, call => Assert.Equal(batchSize, call.BatchSize));
            Assert.Equal(sentences, engine.Calls.SelectMany(call => call.FirstTexts));
        }
        // Padded batches of other shapes change only the rounding of the sums.
        foreach (var batchSize in new[] { 7, 1000 })
            for (int row = 0; row < EvalRowCount; row++)
                for (int c = 0; c < 2; c++)
                    Assert.Equal(results[1][row][c], results[batchSize][row][c], 1e-5f);
    }

    [SharedFact]
    public void PredictionEngine_gives_the_same_predictions_as_Transform()
    {
        var ml = new MLContext(seed: 1);
        var (model, _) = Fit(ml, 7);
        var scored = model.Transform(Sst2Loader(ml).Load(Sst2Eval));
        var scores = ReadScores(scored);
        var labels = ReadColumn<float>(scored, "PredictedLabel");
        var sentences = File.ReadLines(Sst2Eval).Skip(1).Select(l => l.Split('\t')[0]).ToArray();

        using var engine = ml.Model.CreatePredictionEngine<Sst2Input, Sst2Prediction>(model);
        var predictions = sentences.Select(s => engine.Predict(new Sst2Input { Sentence1 = s })).ToArray();

        // One row per forward pass against padded batches of 7: the same up to the rounding of the sums.
        for (int row = 0; row < scores.Length; row++)
            for (int c = 0; c < scores[row].Length; c++)
                Assert.Equal(scores[row][c], predictions[row].Score[c], 1e-5f);
        Assert.Equal(labels, predictions.Select(p => p.PredictedLabel));
    }

    [SharedFact]
    public void Transform_is_lazy_and_scores_only_when_an_added_column_is_read()
    {
        var ml = new MLContext(seed: 1);
        var (model, engine) = Fit(ml, 7);
        var scored = model.Transform(Sst2Loader(ml).Load(Sst2Eval));
        Assert.Empty(engine.Calls);

        Assert.Equal(EvalRowCount, ReadColumn<uint>(scored, "Label").Length);
        Assert.Empty(engine.Calls);

        ReadScores(scored);
        Assert.Equal(EvalRowCount, engine.Calls.Sum(call => call.FirstTexts.Length));
    }

    [SharedFact]
    public void Cursor_sets_and_concurrent_cursors_keep_every_row_in_order()
    {
        var ml = new MLContext(seed: 1);
        var (model, _) = Fit(ml, 7);
        var scored = model.Transform(Sst2Loader(ml).Load(Sst2Eval));
        var expected = Bits(ReadScores(scored));

        var score = scored.Schema["Score"];
        var set = scored.GetRowCursorSet([score], 4);
        var fromSet = new List<int[]>();
        foreach (var cursor in set)
            using (cursor)
            {
                var getter = cursor.GetGetter<VBuffer<float>>(score);
                var buffer = default(VBuffer<float>);
                while (cursor.MoveNext())
                {
                    getter(ref buffer);
                    fromSet.Add(buffer.DenseValues().Select(BitConverter.SingleToInt32Bits).ToArray());
                }
            }
        Assert.Equal(expected, fromSet);

        var labelsOnly = scored.GetRowCursorSet([scored.Schema["Label"]], 4);
        long rows = 0;
        foreach (var cursor in labelsOnly)
            using (cursor)
                while (cursor.MoveNext()) rows++;
        Assert.Equal(EvalRowCount, rows);

        var concurrent = new int[4][][];
        Parallel.For(0, concurrent.Length, i => concurrent[i] = Bits(ReadScores(scored)));
        Assert.All(concurrent, result => Assert.Equal(expected, result));
    }

    [SharedFact]
    public void Empty_and_missing_texts_are_scored_like_empty_strings()
    {
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.LoadFromEnumerable(new[]
        {
            new TextRow { Sentence1 = "a fine film", Label = 0 },
            new TextRow { Sentence1 = "", Label = 1 },
            new TextRow { Sentence1 = null!, Label = 1 },
        });
        var model = ml.MulticlassClassification.Trainers.DeltaLoRA(ClassificationOptions()).Fit(rows);

        Assert.Equal(["a fine film", "", ""], RowsReadForFit(rows, ClassificationOptions(), PredictionTask.MulticlassClassification).FirstTexts);
        var scores = ReadScores(model.Transform(rows));
        var expected = new float[2];
        model.Scorer.Engine.Score([""], null, batchSize: 1, expected);
        BatchScorer.Softmax(expected);
        Assert.Equal(expected[0], scores[1][0], 1e-5f);
        Assert.Equal(Bits([scores[1]]), Bits([scores[2]]));
    }

    [Fact]
    public void Softmax_and_predicted_key_follow_their_definitions()
    {
        float[] logits = [1f, 3f, 2f];
        BatchScorer.Softmax(logits);
        double total = Math.Exp(1) + Math.Exp(3) + Math.Exp(2);
        Assert.Equal(Math.Exp(1) / total, logits[0], 6);
        Assert.Equal(Math.Exp(3) / total, logits[1], 6);
        Assert.Equal(Math.Exp(2) / total, logits[2], 6);
        Assert.Equal(2u, BatchScorer.PredictedKey(logits));
        Assert.Equal(1u, BatchScorer.PredictedKey([0.5f, 0.5f]));
        Assert.Equal(0u, BatchScorer.PredictedKey([float.NaN, 0.5f]));
        float[] large = [1000f, 999f];
        BatchScorer.Softmax(large);
        Assert.Equal(1 / (1 + Math.Exp(-1)), large[0], 6);
    }
}
