using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

/// <summary>
/// Transform reads windows of rows ahead (one batch, then doubling up to <see cref="BatchScorer.BatchesPerWindow"/> batches)
/// and scores each in batches of rows of similar length as the scorer measures it (less padding per forward pass), yet every
/// row keeps its own score and place.
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

    /// <summary>
    /// Regression scorer whose output names the row: 1000 × the row number written at the text's start + the text's length.
    /// It batches with the library's <see cref="LengthGroups"/> by <paramref name="length"/>, or by characters when null.
    /// </summary>
    private sealed class RowNamingScorer(Func<string, int>? length = null) : ITextScorer
    {
        public List<string[]> Calls { get; } = [];
        public int OutputCount => 1;
        public string FormatTag => throw new NotSupportedException();

        public void Score(IReadOnlyList<string> firstTexts, IReadOnlyList<string>? secondTexts, int batchSize, Span<float> outputs)
        {
            foreach (var rows in LengthGroups.Batches(firstTexts.Select(text => length?.Invoke(text) ?? text.Length).ToArray(), batchSize))
            {
                Calls.Add(rows.Select(row => firstTexts[row]).ToArray());
                foreach (int row in rows) outputs[row] = Expected(firstTexts[row]);
            }
        }

        public static float Expected(string text) => 1000 * int.Parse(text[..3]) + text.Length;

        public IReadOnlyDictionary<string, byte[]> SavePayload() => throw new NotSupportedException();
        public void Dispose() { }
    }

    private sealed class Engine(RowNamingScorer scorer) : ITextScorerTrainer
    {
        public ITextScorer Train(TextTrainingSet trainingSet, TextTrainingSet? validationSet, TrainerSettings settings, TrainingSession session) => scorer;
    }

    /// <summary>Row i: its number on three digits, then 0 to 59 letters (seeded), so lengths vary from row to row.</summary>
    private static Row[] Rows(int count)
    {
        var random = new Random(7);
        return Enumerable.Range(0, count).Select(i => new Row { Sentence1 = $"{i:D3}" + new string('a', random.Next(60)), Label = i }).ToArray();
    }

    private static (ITransformer Model, RowNamingScorer Scorer, IDataView Data, Row[] Rows) Fit(int rowCount, RowNamingScorer? scorer = null)
        => Fit(Rows(rowCount), scorer);

    private static (ITransformer Model, RowNamingScorer Scorer, IDataView Data, Row[] Rows) Fit(Row[] rows, RowNamingScorer? scorer = null)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(rows);
        scorer ??= new RowNamingScorer();
        var model = Trainer(ml, new DeltaLoRAOptions { InferenceBatchSize = BatchSize }, PredictionTask.Regression, new Engine(scorer)).Fit(data);
        return (model, scorer, data, rows);
    }

    /// <summary>The windows Transform should read: one batch, then twice the previous, up to the longest window.</summary>
    private static List<int> Windows(int rowCount)
    {
        var windows = new List<int>();
        for (int window = BatchSize, left = rowCount; left > 0; window = Math.Min(2 * window, BatchSize * BatchScorer.BatchesPerWindow))
        {
            windows.Add(Math.Min(window, left));
            left -= windows[^1];
        }
        return windows;
    }

    /// <summary>The scorer's calls, split by the windows they came from (each window's batches are consecutive calls that hold its rows).</summary>
    private static List<(int FirstRow, string[][] Calls)> CallsByWindow(IReadOnlyList<string[]> calls, int rowCount)
    {
        var result = new List<(int, string[][])>();
        int call = 0, firstRow = 0;
        foreach (int window in Windows(rowCount))
        {
            var windowCalls = new List<string[]>();
            while (windowCalls.Sum(c => c.Length) < window) windowCalls.Add(calls[call++]);
            Assert.Equal(window, windowCalls.Sum(c => c.Length));
            result.Add((firstRow, windowCalls.ToArray()));
            firstRow += window;
        }
        Assert.Equal(calls.Count, call);
        return result;
    }

    [Fact]
    public void Transform_scores_each_window_in_length_sorted_batches_and_keeps_every_row_at_its_place()
    {
        const int rowCount = 297; // windows of 5, 10, 20, 40, 80, 80 and the last 62
        var (model, scorer, data, rows) = Fit(rowCount);
        var scores = ReadColumn<float>(model.Transform(data), "Score");

        Assert.Equal(rows.Select(r => RowNamingScorer.Expected(r.Sentence1)), scores);
        Assert.Equal([5, 10, 20, 40, 80, 80, 62], Windows(rowCount));
        Assert.All(scorer.Calls, call => Assert.InRange(call.Length, 1, BatchSize));
        foreach (var (firstRow, calls) in CallsByWindow(scorer.Calls, rowCount))
        {
            var expectedRows = rows.Skip(firstRow).Take(calls.Sum(c => c.Length)).Select(r => r.Sentence1).Order();
            Assert.Equal(expectedRows, calls.SelectMany(c => c).Order());
            for (int i = 1; i < calls.Length; i++)
                Assert.True(calls[i - 1].Max(t => t.Length) <= calls[i].Min(t => t.Length), "Batches of a window must come in order of length.");
        }

        // Padding: each batch is padded to its longest row. Length-sorted windows pad less than consecutive rows would.
        double Padded(IEnumerable<string[]> batches) => batches.Sum(b => (double)b.Length * b.Max(t => t.Length));
        double consecutive = Padded(rows.Select(r => r.Sentence1).Chunk(BatchSize));
        double real = rows.Sum(r => r.Sentence1.Length);
        Assert.True(Padded(scorer.Calls) < real + 0.5 * (consecutive - real),
            $"Length-sorted batches hold {Padded(scorer.Calls)} characters against {consecutive} for consecutive batches ({real} real).");
    }

    [Theory]
    [InlineData(32, 512)]     // 16 batches
    [InlineData(1000, 4000)]  // as many whole batches as fit in MaxWindowRows
    [InlineData(5000, 5000)]  // at least one batch
    [InlineData(1 << 30, 1 << 30)]
    public void Windows_are_whole_batches_of_bounded_size(int batchSize, int expectedWindow)
    {
        var columns = new PredictionColumns(PredictionTask.Regression, "Sentence1", null, "Score", null, 1, null);
        using var scorer = new BatchScorer(new RowNamingScorer(), columns, batchSize);
        Assert.Equal(expectedWindow, scorer.WindowSize);
    }

    [Fact]
    public void Reading_a_few_rows_scores_the_first_batch_of_rows_only()
    {
        var (model, scorer, data, rows) = Fit(100);
        var scored = model.Transform(data);
        var score = scored.Schema["Score"];
        using var cursor = scored.GetRowCursor([score]);
        var getter = cursor.GetGetter<float>(score);
        float value = 0;
        for (int i = 0; i < 3 && cursor.MoveNext(); i++)
        {
            getter(ref value);
            Assert.Equal(RowNamingScorer.Expected(rows[i].Sentence1), value);
        }
        Assert.Equal(rows.Take(BatchSize).Select(r => r.Sentence1).Order(), scorer.Calls.SelectMany(c => c).Order());
    }

    [Fact]
    public void PredictionEngine_still_scores_one_row_per_call()
    {
        var (model, scorer, _, rows) = Fit(12);
        var engine = new MLContext(seed: 1).Model.CreatePredictionEngine<Row, Prediction>(model);
        foreach (var row in rows.Take(3)) Assert.Equal(RowNamingScorer.Expected(row.Sentence1), engine.Predict(row).Score);
        Assert.Equal([1, 1, 1], scorer.Calls.Select(c => c.Length));
    }

    [Fact]
    public void Batches_follow_the_scorers_own_length_not_the_characters()
    {
        // Words of 1 to 12 letters: the word count (the "tokens" here) and the character count order rows differently.
        var random = new Random(3);
        var rows = Enumerable.Range(0, 160).Select(i => new Row
        {
            Sentence1 = $"{i:D3} " + string.Join(' ', Enumerable.Range(0, random.Next(1, 11)).Select(_ => new string('w', random.Next(1, 13)))),
        }).ToArray();
        static int Words(string text) => text.Split(' ').Length;
        var (model, scorer, data, _) = Fit(rows, new RowNamingScorer(Words));
        var scores = ReadColumn<float>(model.Transform(data), "Score");

        Assert.Equal(rows.Select(r => RowNamingScorer.Expected(r.Sentence1)), scores);
        foreach (var (_, windowCalls) in CallsByWindow(scorer.Calls, rows.Length))
            for (int i = 1; i < windowCalls.Length; i++)
                Assert.True(windowCalls[i - 1].Max(Words) <= windowCalls[i].Min(Words), $"A batch holds shorter rows (in words) than the one before it in its window.");
        // The words test is only a test if characters would have grouped some window differently.
        Assert.Contains(CallsByWindow(scorer.Calls, rows.Length),
            window => window.Calls.Zip(window.Calls.Skip(1)).Any(pair => pair.First.Max(t => t.Length) > pair.Second.Min(t => t.Length)));
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
