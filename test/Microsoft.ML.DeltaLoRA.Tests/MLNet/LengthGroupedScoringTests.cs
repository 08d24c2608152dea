using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

/// <summary>
/// Transform reads windows of rows ahead (<see cref="LookAheadWindows"/>: one batch, then growing up to <see cref="BatchScorer.BatchesPerWindow"/> batches)
/// and hands each window to the scoring engine in one call, which scores it in batches of rows of similar token count (less
/// padding per forward pass), yet every row keeps its own score and place.
/// </summary>
public class LengthGroupedScoringTests
{
    private const int BatchSize = 5;

    public sealed class Row
    {
        public string Sentence1 { get; set; } = "";
        public float Label { get; set; }
    }

    public sealed class Prediction
    {
        public float Score { get; set; }
    }

    /// <summary>Row i: its number on three digits, then 0 to 59 letters (seeded), so lengths vary from row to row.</summary>
    private static Row[] Rows(int count)
    {
        var random = new Random(7);
        return Enumerable.Range(0, count).Select(i => new Row { Sentence1 = $"{i:D3}" + new string('a', random.Next(60)), Label = i }).ToArray();
    }

    /// <summary>A regression model on the fixture encoder (untrained head) whose engine records its calls.</summary>
    private static (DeltaLoRATransformer Model, RecordingEngine Engine, IDataView Data) Model(Row[] rows)
    {
        var ml = new MLContext(seed: 1);
        var (model, engine) = UntrainedModel(ml, PredictionTask.Regression, outputCount: 1, BatchSize);
        return (model, engine, ml.Data.LoadFromEnumerable(rows));
    }

    /// <summary>The row's score when the engine scores it alone: what it must get wherever it sits in a batch.</summary>
    private static float Alone(RecordingEngine engine, string text)
    {
        var output = new float[1];
        engine.Inner.Score([text], null, 1, output);
        return output[0];
    }

    [SharedFact]
    public void Transform_hands_the_engine_growing_windows_of_rows_and_keeps_every_row_at_its_place()
    {
        const int rowCount = 297;
        var rows = Rows(rowCount);
        var (model, engine, data) = Model(rows);
        using var disposeModel = model;
        var scores = ReadColumn<float>(model.Transform(data), "Score");

        // One batch, then 8 times the last, up to the largest window (32 batches of 5): 5, 40, 160 and the last 92.
        Assert.Equal([5, 40, 160, 92], engine.Calls.Select(call => call.FirstTexts.Length));
        Assert.All(engine.Calls, call => Assert.Equal(BatchSize, call.BatchSize));
        Assert.Equal(rows.Select(r => r.Sentence1), engine.Calls.SelectMany(call => call.FirstTexts));
        var alone = rows.Select(r => Alone(engine, r.Sentence1)).ToArray();
        Assert.True(alone.Distinct().Count() > rowCount / 2, "Rows of different texts should score differently, or this test could not see a row out of place.");
        for (int row = 0; row < rowCount; row++) Assert.Equal(alone[row], scores[row], 1e-5f);
    }

    [SharedTheory]
    [InlineData(true, new[] { 5, 65 })]      // 40 rows would leave a smaller window of 25: the second window takes them too
    [InlineData(false, new[] { 5, 40, 25 })] // the source cannot tell how many rows follow
    public void A_window_takes_the_rows_after_it_when_the_source_knows_they_would_make_a_smaller_last_window(bool countKnown, int[] expectedWindows)
    {
        var rows = Rows(70);
        var ml = new MLContext(seed: 1);
        var (model, engine) = UntrainedModel(ml, PredictionTask.Regression, outputCount: 1, BatchSize);
        using var disposeModel = model;
        var data = ml.Data.LoadFromEnumerable(countKnown ? rows : rows.Select(row => row));
        Assert.Equal(countKnown ? rows.Length : null, data.GetRowCount());

        var scores = ReadColumn<float>(model.Transform(data), "Score");

        Assert.Equal(expectedWindows, engine.Calls.Select(call => call.FirstTexts.Length));
        Assert.Equal(rows.Select(r => r.Sentence1), engine.Calls.SelectMany(call => call.FirstTexts));
        for (int row = 0; row < rows.Length; row++) Assert.Equal(Alone(engine, rows[row].Sentence1), scores[row], 1e-5f);
    }

    [SharedTheory]
    [InlineData(32, 1024)]    // 32 batches
    [InlineData(1000, 4000)]  // as many whole batches as fit in MaxWindowRows
    [InlineData(5000, 5000)]  // at least one batch
    [InlineData(1 << 30, 1 << 30)]
    public void Windows_are_whole_batches_of_bounded_size(int batchSize, int expectedWindow)
    {
        var (model, _) = UntrainedModel(new MLContext(seed: 1), PredictionTask.Regression, outputCount: 1, batchSize);
        using var disposeModel = model;
        Assert.Equal(expectedWindow, model.Scorer.WindowSize);
    }

    [SharedFact]
    public void Reading_a_few_rows_scores_the_first_batch_of_rows_only()
    {
        var rows = Rows(100);
        var (model, engine, data) = Model(rows);
        using var disposeModel = model;
        var scored = model.Transform(data);
        var score = scored.Schema["Score"];
        using var cursor = scored.GetRowCursor([score]);
        var getter = cursor.GetGetter<float>(score);
        float value = 0;
        for (int i = 0; i < 3 && cursor.MoveNext(); i++)
        {
            getter(ref value);
            Assert.Equal(Alone(engine, rows[i].Sentence1), value, 1e-5f);
        }
        Assert.Equal(rows.Take(BatchSize).Select(r => r.Sentence1), Assert.Single(engine.Calls).FirstTexts);
    }

    [SharedFact]
    public void PredictionEngine_still_scores_one_row_per_call()
    {
        var rows = Rows(12);
        var (model, engine, _) = Model(rows);
        using var disposeModel = model;
        var predictions = new MLContext(seed: 1).Model.CreatePredictionEngine<Row, Prediction>(model);
        foreach (var row in rows.Take(3)) Assert.Equal(Alone(engine, row.Sentence1), predictions.Predict(row).Score);
        Assert.Equal([1, 1, 1], engine.Calls.Select(c => c.FirstTexts.Length));
    }

    [SharedTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    [InlineData("distilbert")]
    public void A_fine_tuned_models_length_is_its_token_count_as_Hugging_Face_tokenizes(string family)
    {
        // transformers' own tokenizer output for the fixture texts: the attention mask counts each text's tokens (specials included).
        var expected = HuggingFaceFixtures.Expected(family);
        var texts = expected.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var masks = expected.GetProperty("tokenizer_output").GetProperty("attention_mask").EnumerateArray()
            .Select(row => row.EnumerateArray().Sum(v => v.GetInt32())).ToArray();
        var folder = HuggingFaceFixtures.ModelFolder(family, HuggingFaceFixtures.ClassName(family, "ForSequenceClassification"));
        // PredictRaw groups rows by the length of their encodings, which are these token counts.
        using var model = TextClassificationModel.LoadPretrained(folder, 2);
        Assert.Equal(masks, texts.Select(text => model.Tokenizer.Encode(text, null, 64).Length));
        Assert.Equal(5, model.Tokenizer.Encode(texts[0], null, 5).Length);
    }
}
