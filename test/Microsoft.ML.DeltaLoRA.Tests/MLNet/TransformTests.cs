using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.ModelLoadCheck;
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

    private static (ITransformer Model, BagOfCharactersScorer Scorer) Fit(MLContext ml, int inferenceBatchSize)
    {
        var engine = new BagOfCharactersTrainer();
        var options = ClassificationOptions();
        options.InferenceBatchSize = inferenceBatchSize;
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(Trainer(ml, options, PredictionTask.MulticlassClassification, engine))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(Sst2Loader(ml).Load(Sst2Train));
        return (model, engine.Scorers.Single());
    }

    private static int EvalRowCount => File.ReadLines(Sst2Eval).Count() - 1;

    [SharedFact]
    public void Transform_scores_in_batches_of_at_most_the_inference_batch_size_and_batching_does_not_change_the_scores()
    {
        var ml = new MLContext(seed: 1);
        var eval = Sst2Loader(ml).Load(Sst2Eval);
        var results = new Dictionary<int, int[][]>();
        foreach (var batchSize in new[] { 1, 7, 1000 })
        {
            var (model, scorer) = Fit(ml, batchSize);
            results[batchSize] = Bits(ReadScores(model.Transform(eval)));
            // Every row once, in batches of at most the batch size (LengthGroups also cuts where the rows' length jumps).
            Assert.All(scorer.BatchSizes, rows => Assert.InRange(rows, 1, batchSize));
            Assert.Equal(EvalRowCount, scorer.BatchSizes.Sum());
        }
        Assert.Equal(results[1], results[7]);
        Assert.Equal(results[1], results[1000]);
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

        Assert.Equal(Bits(scores), Bits(predictions.Select(p => p.Score).ToArray()));
        Assert.Equal(labels, predictions.Select(p => p.PredictedLabel));
    }

    [SharedFact]
    public void Transform_is_lazy_and_scores_only_when_an_added_column_is_read()
    {
        var ml = new MLContext(seed: 1);
        var (model, scorer) = Fit(ml, 7);
        var scored = model.Transform(Sst2Loader(ml).Load(Sst2Eval));
        Assert.Empty(scorer.BatchSizes);

        Assert.Equal(EvalRowCount, ReadColumn<uint>(scored, "Label").Length);
        Assert.Empty(scorer.BatchSizes);

        ReadScores(scored);
        Assert.Equal(EvalRowCount, scorer.BatchSizes.Sum());
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

    [Fact]
    public void Empty_and_missing_texts_are_scored_like_empty_strings()
    {
        var ml = new MLContext(seed: 1);
        var engine = new BagOfCharactersTrainer();
        var rows = ml.Data.LoadFromEnumerable(new[]
        {
            new TextRow { Sentence1 = "a fine film", Label = 0 },
            new TextRow { Sentence1 = "", Label = 1 },
            new TextRow { Sentence1 = null!, Label = 1 },
        });
        var model = Trainer(ml, ClassificationOptions(), PredictionTask.MulticlassClassification, engine).Fit(rows);

        Assert.Equal(["a fine film", "", ""], engine.LastTrainingSet!.FirstTexts);
        var scores = ReadScores(model.Transform(rows));
        var expected = new float[2];
        engine.Scorers.Single().Score([""], null, batchSize: 1, expected);
        BatchScorer.Softmax(expected);
        Assert.Equal(BitConverter.SingleToInt32Bits(expected[0]), BitConverter.SingleToInt32Bits(scores[1][0]));
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
