using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;

namespace Microsoft.ML.DeltaLoRA.Tests.Samples;

/// <summary>
/// Tiny model zips for the Serve sample's tests, trained here with the library on the tiny random-weight BERT classifier of
/// ../shared and small GLUE subsets (one epoch on 32 rows, seconds each): two sentiment classifiers that differ (other rows,
/// other seed) for the swap, one classifier of text pairs, and the first one made to score with ONNX Runtime. Each is made
/// when first asked for.
/// </summary>
public sealed class ServeModels : IDisposable
{
    private readonly Lazy<string> _first, _second, _pairs, _firstOnnxRuntime;

    /// <summary>The test collection that shares one set of models (ServeSampleTests and ServeLoadTests).</summary>
    public const string Collection = "Serve sample";

    public ServeModels()
    {
        Folder = Directory.CreateTempSubdirectory("deltalora-serve-models-").FullName;
        _first = new(() => TrainSentiment("first.zip", skip: 0, seed: 1));
        _second = new(() => TrainSentiment("second.zip", skip: 32, seed: 2));
        _pairs = new(() => TrainPairs("pairs.zip"));
        _firstOnnxRuntime = new(() => WithOnnxRuntimeScoring(First, "first-onnxruntime.zip"));
    }

    public string Folder { get; }
    public string First => _first.Value;
    public string Second => _second.Value;
    public string Pairs => _pairs.Value;
    public string FirstOnnxRuntime => _firstOnnxRuntime.Value;

    public static string[][] SentimentTestRows => SampleRun.ReadRows(SampleRun.SmallData("sst2_eval_128.tsv"));
    public static string[][] PairTestRows => SampleRun.ReadRows(SampleRun.SmallData("mrpc_eval_64.tsv"));

    /// <summary>A copy of <paramref name="model"/> in a folder of its own, for a service to watch (and a test to overwrite).</summary>
    public string ServedCopy(string model)
    {
        var folder = Directory.CreateDirectory(Path.Combine(Folder, $"served-{Guid.NewGuid():N}"));
        var path = Path.Combine(folder.FullName, "model.zip");
        File.Copy(model, path);
        return path;
    }

    /// <summary>The library's own answer for each row, one row at a time through a PredictionEngine as an app would score a request.</summary>
    public static LibraryPrediction[] LibraryPredictions(string model, IEnumerable<(string Text, string? Text2)> rows)
    {
        var ml = new MLContext(seed: 3);
        var transformer = ml.Model.Load(model, out var inputSchema);
        bool pairs = inputSchema.GetColumnOrNull(nameof(PairRow.Sentence2)) is not null;
        var classes = default(VBuffer<ReadOnlyMemory<char>>);
        var outputSchema = transformer.GetOutputSchema(inputSchema);
        outputSchema["Score"].GetSlotNames(ref classes);
        var classNames = classes.DenseValues().Select(c => c.ToString()).ToArray();
        Func<(string Text, string? Text2), Scored> predict;
        IDisposable engine;
        if (pairs)
        {
            var pairEngine = ml.Model.CreatePredictionEngine<PairRow, Scored>(transformer);
            (engine, predict) = (pairEngine, row => pairEngine.Predict(new PairRow { Sentence1 = row.Text, Sentence2 = row.Text2! }));
        }
        else
        {
            var textEngine = ml.Model.CreatePredictionEngine<SentimentRow, Scored>(transformer);
            (engine, predict) = (textEngine, row => textEngine.Predict(new SentimentRow { Text = row.Text }));
        }
        var predictions = rows.Select(predict)
            .Select(scored => new LibraryPrediction(scored.PredictedLabel, classNames.Zip(scored.Score).ToDictionary(p => p.First, p => p.Second)))
            .ToArray();
        engine.Dispose();
        (transformer as IDisposable)?.Dispose();
        return predictions;
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);

    private string TrainSentiment(string name, int skip, int seed)
    {
        var ml = new MLContext(seed);
        var rows = SampleRun.ReadRows(SampleRun.SmallData("sst2_train_256.tsv")).Skip(skip).Take(32).Select(r => new SentimentRow { Text = r[0], Label = r[1] });
        var data = ml.Data.LoadFromEnumerable(rows);
        var trainer = ml.MulticlassClassification.Trainers.DeltaLoRA(Options(nameof(SentimentRow.Text), null));
        return Save(ml, ml.Transforms.Conversion.MapValueToKey("Label").Append(trainer).Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel")).Fit(data), data, name);
    }

    private string TrainPairs(string name)
    {
        var ml = new MLContext(seed: 1);
        var rows = SampleRun.ReadRows(SampleRun.SmallData("mrpc_train_128.tsv")).Take(32).Select(r => new PairRow { Label = r[0], Sentence1 = r[3], Sentence2 = r[4] });
        var data = ml.Data.LoadFromEnumerable(rows);
        var trainer = ml.MulticlassClassification.Trainers.DeltaLoRA(Options(nameof(PairRow.Sentence1), nameof(PairRow.Sentence2)));
        return Save(ml, ml.Transforms.Conversion.MapValueToKey("Label").Append(trainer).Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel")).Fit(data), data, name);
    }

    private static DeltaLoRAOptions Options(string text, string? text2) => new()
    {
        ModelPath = SharedData.PathOf("fixtures", "hf", "bert", "BertForSequenceClassification"),
        Sentence1ColumnName = text,
        Sentence2ColumnName = text2,
        Epochs = 1,
        BatchSize = 8,
        MaxSequenceLength = 64,
    };

    /// <summary><paramref name="model"/> saved again after <c>WithOnnxRuntimeScoring</c>, as <c>deltalora export --format mlnet-onnx</c> does.</summary>
    private string WithOnnxRuntimeScoring(string model, string name)
    {
        var ml = new MLContext(seed: 1);
        var loaded = ml.Model.Load(model, out var inputSchema);
        var path = Path.Combine(Folder, name);
        using (var onnx = (IDisposable)ml.Model.WithOnnxRuntimeScoring(loaded))
            ml.Model.Save((ITransformer)onnx, inputSchema, path);
        (loaded as IDisposable)?.Dispose();
        return path;
    }

    private string Save(MLContext ml, ITransformer model, IDataView data, string name)
    {
        var path = Path.Combine(Folder, name);
        ml.Model.Save(model, data.Schema, path);
        (model as IDisposable)?.Dispose();
        return path;
    }

    private sealed class SentimentRow
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }

    private sealed class PairRow
    {
        public string Label { get; set; } = "";
        public string Sentence1 { get; set; } = "";
        public string Sentence2 { get; set; } = "";
    }

    private sealed class Scored
    {
        public string PredictedLabel { get; set; } = "";
        public float[] Score { get; set; } = [];
    }
}

[CollectionDefinition(ServeModels.Collection)]
public sealed class ServeModelsCollection : ICollectionFixture<ServeModels>;

/// <summary>The library's predicted label and the probability of each class.</summary>
public sealed record LibraryPrediction(string Label, IReadOnlyDictionary<string, float> Probabilities);
