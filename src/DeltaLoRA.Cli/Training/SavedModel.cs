using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA;
using DeltaLoRA.Cli.Data;
using DeltaLoRA.Cli.Output;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Modeling;

namespace DeltaLoRA.Cli.Training;

/// <summary>
/// A model zip written by <c>train</c>, loaded with <c>MLContext.Model.Load</c>: the transformer chain (label key mapping,
/// the fine-tuned model, key-to-value of the prediction), its input schema, and which input column plays which role.
/// </summary>
internal sealed class SavedModel : IDisposable
{
    private readonly MLContext _ml;

    private SavedModel(MLContext ml, ITransformer transformer, DataViewSchema inputSchema, DeltaLoRATransformer scorer, ColumnLayout columns)
    {
        _ml = ml;
        Transformer = transformer;
        InputSchema = inputSchema;
        Scorer = scorer;
        Columns = columns;
    }

    public ITransformer Transformer { get; }
    public DataViewSchema InputSchema { get; }
    public DeltaLoRATransformer Scorer { get; }

    /// <summary>The input columns by name; their indices are unknown (-1) since they belong to the training file.</summary>
    public ColumnLayout Columns { get; }

    public TaskKind Task => Scorer.PredictedLabelColumnName is null ? TaskKind.Regression : TaskKind.Classification;

    /// <summary>The classes a classification model was trained on (the names on its Score column).</summary>
    public IReadOnlyList<string> ClassNames
        => EvaluationReport.ClassNames(Transformer.GetOutputSchema(InputSchema)[Scorer.ScoreColumnName], Scorer.OutputCount);

    public static SavedModel Load(MLContext ml, string path)
    {
        if (Directory.Exists(path)) throw new UserErrorException($"--model '{path}' is a folder; expected a model zip written by 'deltalora train'.");
        if (!File.Exists(path)) throw new UserErrorException($"--model: the model file '{path}' does not exist.");
        ITransformer transformer;
        DataViewSchema inputSchema;
        try
        {
            transformer = ml.Model.Load(path, out inputSchema);
        }
        catch (Exception e) when (CompactBaseProblem(e) is { } problem) // a compact model whose base is missing or different: the zip is fine
        {
            throw new UserErrorException($"--model '{path}': {problem.Message}");
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or InvalidOperationException or IOException)
        {
            throw new UserErrorException($"--model '{path}' is not an ML.NET model zip that this version can read: {e.Message}");
        }
        var scorer = FindScorer(transformer)
            ?? throw new UserErrorException($"--model '{path}' is an ML.NET model without a Delta-LoRA text model in it; expected a zip written by 'deltalora train'.");
        var texts = new HashSet<string?> { scorer.Sentence1ColumnName, scorer.Sentence2ColumnName };
        var label = inputSchema.Where(c => !texts.Contains(c.Name)).Select(c => (DataViewSchema.Column?)c).FirstOrDefault()
            ?? throw new UserErrorException($"--model '{path}' has no label column in its input schema; expected a zip written by 'deltalora train'.");
        var layout = new ColumnLayout(new TabularColumn(-1, label.Name), new TabularColumn(-1, scorer.Sentence1ColumnName),
            scorer.Sentence2ColumnName is null ? null : new TabularColumn(-1, scorer.Sentence2ColumnName));
        return new SavedModel(ml, transformer, inputSchema, scorer, layout);
    }

    /// <summary>The model's predictions for the given rows, in their order.</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<TextInput> inputs)
    {
        if (inputs.Count == 0) return [];
        if (Columns.Text2 is not null && inputs.FirstOrDefault(i => i.Text2 is null) is { } single)
            throw new UserErrorException($"This model reads text pairs ('{Columns.Text1.Name}', '{Columns.Text2.Name}'); the input '{ReportTables.Snippet(single.Text1, 60)}' has no second text.");

        var definition = SchemaDefinition.Create(typeof(InputRow));
        definition[nameof(InputRow.Label)].ColumnName = Columns.Label.Name;
        definition[nameof(InputRow.Text1)].ColumnName = Columns.Text1.Name;
        if (Columns.Text2 is null) definition.RemoveAll(c => c.MemberName == nameof(InputRow.Text2));
        else definition[nameof(InputRow.Text2)].ColumnName = Columns.Text2.Name;
        // Regression models read no label; classification models map it to a key first, so it must be there (any text).
        if (Task == TaskKind.Regression) definition.RemoveAll(c => c.MemberName == nameof(InputRow.Label));

        var rows = inputs.Select(i => new InputRow { Label = i.TrueLabel ?? "", Text1 = i.Text1, Text2 = i.Text2 ?? "" }).ToList();
        var scored = Transformer.Transform(_ml.Data.LoadFromEnumerable(rows, definition));
        return Task == TaskKind.Regression ? ReadValues(scored, inputs) : ReadClasses(scored, inputs);
    }

    public void Dispose() => (Transformer as IDisposable)?.Dispose();

    private IReadOnlyList<Prediction> ReadClasses(IDataView scored, IReadOnlyList<TextInput> inputs)
    {
        var score = scored.Schema[Scorer.ScoreColumnName];
        var predicted = scored.Schema[Scorer.PredictedLabelColumnName!];
        var classNames = EvaluationReport.ClassNames(score, Scorer.OutputCount);
        var predictions = new List<Prediction>(inputs.Count);
        using var cursor = scored.GetRowCursor([score, predicted]);
        var getScores = cursor.GetGetter<VBuffer<float>>(score);
        // train appends MapKeyToValue, so the predicted label is the class as text; a bare key is looked up in the class names.
        Func<string> readPredicted = predicted.Type is TextDataViewType ? TextReader(cursor, predicted) : KeyReader(cursor, predicted, classNames);
        var scores = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            getScores(ref scores);
            var probabilities = scores.DenseValues().ToArray();
            var byClass = classNames.Zip(probabilities).ToDictionary(p => p.First, p => (double)p.Second);
            var label = readPredicted();
            predictions.Add(new Prediction(inputs[predictions.Count], label, byClass.GetValueOrDefault(label, double.NaN), byClass));
        }
        return predictions;
    }

    private IReadOnlyList<Prediction> ReadValues(IDataView scored, IReadOnlyList<TextInput> inputs)
    {
        var score = scored.Schema[Scorer.ScoreColumnName];
        var predictions = new List<Prediction>(inputs.Count);
        using var cursor = scored.GetRowCursor([score]);
        var getter = cursor.GetGetter<float>(score);
        float value = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            predictions.Add(new Prediction(inputs[predictions.Count], value.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture),
                double.NaN, new Dictionary<string, double>()));
        }
        return predictions;
    }

    private static Func<string> TextReader(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        var value = default(ReadOnlyMemory<char>);
        return () =>
        {
            getter(ref value);
            return value.ToString();
        };
    }

    private static Func<string> KeyReader(DataViewRowCursor cursor, DataViewSchema.Column column, string[] classNames)
    {
        var getter = cursor.GetGetter<uint>(column);
        uint key = 0;
        return () =>
        {
            getter(ref key);
            return key >= 1 && key <= classNames.Length ? classNames[key - 1] : "?";
        };
    }

    /// <summary>The error of a compact model's base (ML.NET may wrap it); null for any other error.</summary>
    private static Exception? CompactBaseProblem(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            if (inner is CompactBaseMissingException or CompactBaseMismatchException) return inner;
        return null;
    }

    private static DeltaLoRATransformer? FindScorer(ITransformer transformer) => transformer switch
    {
        DeltaLoRATransformer scorer => scorer,
        IEnumerable<ITransformer> chain => chain.Select(FindScorer).FirstOrDefault(s => s is not null),
        _ => null,
    };

    private sealed class InputRow
    {
        public string Label { get; set; } = "";
        public string Text1 { get; set; } = "";
        public string Text2 { get; set; } = "";
    }
}
