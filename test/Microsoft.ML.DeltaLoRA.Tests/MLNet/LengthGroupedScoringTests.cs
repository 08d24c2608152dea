using Microsoft.ML.Data;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

/// <summary>
/// Transform reads a window of <see cref="BatchScorer.BatchesPerWindow"/> batches ahead and scores it in batches of rows of
/// similar length (less padding per forward pass), yet every row keeps its own score and place.
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

    /// <summary>Regression scorer whose output names the row: 1000 × the row number written at the text's start + the text's length.</summary>
    private sealed class RowNamingScorer : ITextScorer
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

    private static (ITransformer Model, RowNamingScorer Scorer, IDataView Data, Row[] Rows) Fit(int rowCount)
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows(rowCount);
        var data = ml.Data.LoadFromEnumerable(rows);
        var scorer = new RowNamingScorer();
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
}
