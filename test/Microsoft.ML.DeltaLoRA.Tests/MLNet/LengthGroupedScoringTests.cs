using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

/// <summary>
/// Transform reads a window of <see cref="BatchScorer.BatchesPerWindow"/> batches ahead and scores it in batches of rows of
/// similar length as the scorer measures it (less padding per forward pass), yet every row keeps its own score and place.
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
    /// Its length for batching is <paramref name="length"/>, or the interface's default (characters) when null.
    /// </summary>
    private sealed class RowNamingScorer(Func<string, int>? length = null) : ITextScorer
    {
        public List<string[]> Calls { get; } = [];
        public int OutputCount => 1;
        public Type LoaderType => throw new NotSupportedException();

        public void Score(IReadOnlyList<string> firstTexts, IReadOnlyList<string>? secondTexts, Span<float> outputs)
        {
            Calls.Add(firstTexts.ToArray());
            for (int i = 0; i < firstTexts.Count; i++) outputs[i] = Expected(firstTexts[i]);
        }

        public static float Expected(string text) => 1000 * int.Parse(text[..3]) + text.Length;

        public int LengthOf(string firstText, string? secondText)
            => length is null ? firstText.Length + (secondText?.Length ?? 0) : length(firstText);

        public IReadOnlyDictionary<string, byte[]> SavePayload() => throw new NotSupportedException();
        public void Dispose() { }
    }

    private sealed class Engine(RowNamingScorer scorer) : ITextScorerTrainer
    {
        public ITextScorer Train(TextTrainingSet trainingSet, TextTrainingSet? validationSet, DeltaLoRAOptions options, TrainingSession session) => scorer;
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

    [Fact]
    public void Transform_scores_each_window_in_length_sorted_batches_and_keeps_every_row_at_its_place()
    {
        const int rowCount = 97; // two full windows of 40 and a partial one of 17
        var (model, scorer, data, rows) = Fit(rowCount);
        var scores = ReadColumn<float>(model.Transform(data), "Score");

        Assert.Equal(rows.Select(r => RowNamingScorer.Expected(r.Sentence1)), scores);
        Assert.All(scorer.Calls, call => Assert.InRange(call.Length, 1, BatchSize));
        // Full batches then the rest, as before: windows are whole batches.
        Assert.Equal(Enumerable.Repeat(BatchSize, rowCount / BatchSize).Append(rowCount % BatchSize), scorer.Calls.Select(c => c.Length));

        int window = BatchSize * BatchScorer.BatchesPerWindow;
        var callsByWindow = scorer.Calls.Select((call, index) => (call, index))
            .GroupBy(c => c.index * BatchSize / window, c => c.call).ToArray();
        Assert.Equal((rowCount + window - 1) / window, callsByWindow.Length);
        foreach (var windowCalls in callsByWindow)
        {
            var calls = windowCalls.ToArray();
            var expectedRows = rows.Skip(windowCalls.Key * window).Take(window).Select(r => r.Sentence1).Order();
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
        var rows = Enumerable.Range(0, 80).Select(i => new Row
        {
            Sentence1 = $"{i:D3} " + string.Join(' ', Enumerable.Range(0, random.Next(1, 11)).Select(_ => new string('w', random.Next(1, 13)))),
        }).ToArray();
        static int Words(string text) => text.Split(' ').Length;
        var (model, scorer, data, _) = Fit(rows, new RowNamingScorer(Words));
        var scores = ReadColumn<float>(model.Transform(data), "Score");

        Assert.Equal(rows.Select(r => RowNamingScorer.Expected(r.Sentence1)), scores);
        int window = BatchSize * BatchScorer.BatchesPerWindow;
        var calls = scorer.Calls;
        for (int i = 1; i < calls.Count; i++)
        {
            bool sameWindow = (i - 1) * BatchSize / window == i * BatchSize / window;
            if (sameWindow) Assert.True(calls[i - 1].Max(Words) <= calls[i].Min(Words), $"Batch {i} holds shorter rows (in words) than batch {i - 1}.");
        }
        bool charactersWouldOrderThemAlike = calls.Zip(calls.Skip(1)).All(p => p.First.Max(t => t.Length) <= p.Second.Min(t => t.Length));
        Assert.False(charactersWouldOrderThemAlike, "The test rows should order differently by characters and by words.");
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
        using var scorer = new FineTunedTextScorer(TextClassificationModel.LoadPretrained(folder, 2), maxSequenceLength: 64);
        Assert.Equal(masks, texts.Select(text => ((ITextScorer)scorer).LengthOf(text, null)));
        using var truncating = new FineTunedTextScorer(TextClassificationModel.LoadPretrained(folder, 2), maxSequenceLength: 5);
        Assert.Equal(5, ((ITextScorer)truncating).LengthOf(texts[0], null));
    }
}
