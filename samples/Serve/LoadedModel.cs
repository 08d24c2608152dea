using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// A model zip loaded with <c>mlContext.Model.Load</c>: the transformer chain, which input columns hold the texts (read from
/// the fine-tuned model in it), whether it classifies or regresses, and its class names. It scores rows with the batched
/// <c>Transform</c> or makes single-row engines; whichever engine the zip names (TorchSharp, or another it records) is used.
/// </summary>
internal sealed class LoadedModel : IDisposable
{
    private readonly MLContext _ml;
    private readonly SchemaDefinition _input;
    private readonly SchemaDefinition _output;

    private LoadedModel(MLContext ml, string path, ITransformer transformer, DeltaLoRATransformer scorer, SchemaDefinition input, SchemaDefinition output, string[] classNames)
    {
        _ml = ml;
        Path = path;
        Transformer = transformer;
        Scorer = scorer;
        _input = input;
        _output = output;
        ClassNames = classNames;
    }

    public string Path { get; }
    public ITransformer Transformer { get; }

    /// <summary>The fine-tuned model inside the chain: its column names and number of outputs.</summary>
    public DeltaLoRATransformer Scorer { get; }

    public bool ReadsPairs => Scorer.Sentence2ColumnName is not null;
    public bool IsRegression => Scorer.PredictedLabelColumnName is null;
    public IReadOnlyList<string> ClassNames { get; }

    /// <exception cref="InvalidDataException">The file is not an ML.NET model zip with a Delta-LoRA text model that this service can read.</exception>
    public static LoadedModel Load(string path)
    {
        var ml = new MLContext(seed: 1);
        ITransformer transformer;
        DataViewSchema inputSchema;
        try
        {
            transformer = ml.Model.Load(path, out inputSchema);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or InvalidOperationException or IOException or ArgumentException)
        {
            throw new InvalidDataException($"'{path}' is not an ML.NET model zip this service can read: {e.Message}", e);
        }
        try
        {
            var scorer = FindScorer(transformer)
                ?? throw new InvalidDataException($"'{path}' holds no Delta-LoRA text model; expected a zip saved from a pipeline with Trainers.DeltaLoRA.");
            var input = InputDefinition(scorer, inputSchema, path);
            var output = OutputDefinition(scorer);
            var outputSchema = transformer.GetOutputSchema(ml.Data.LoadFromEnumerable(Array.Empty<ModelInput>(), input).Schema);
            string[] classNames = [];
            if (scorer.PredictedLabelColumnName is { } predicted)
            {
                if (outputSchema[predicted].Type is not TextDataViewType)
                    throw new InvalidDataException($"'{path}': the column '{predicted}' holds class keys, not labels; save the pipeline with " +
                        $".Append(ml.Transforms.Conversion.MapKeyToValue(\"{predicted}\")) as 'deltalora train' and the samples do.");
                classNames = ClassNamesOf(outputSchema[scorer.ScoreColumnName], scorer.OutputCount);
            }
            return new LoadedModel(ml, path, transformer, scorer, input, output, classNames);
        }
        catch
        {
            (transformer as IDisposable)?.Dispose();
            throw;
        }
    }

    /// <summary>Scores the rows in one <c>Transform</c> (batched by the library, grouped by length), in their order.</summary>
    public Prediction[] Predict(IReadOnlyList<TextInput> inputs)
    {
        var scored = Transformer.Transform(_ml.Data.LoadFromEnumerable(inputs.Select(ToRow), _input));
        return IsRegression
            ? _ml.Data.CreateEnumerable<RegressorOutput>(scored, reuseRowObject: false, schemaDefinition: _output).Select(ToPrediction).ToArray()
            : _ml.Data.CreateEnumerable<ClassifierOutput>(scored, reuseRowObject: false, schemaDefinition: _output).Select(ToPrediction).ToArray();
    }

    /// <summary>A single-row engine (ML.NET's <c>PredictionEngine</c>: not thread-safe, one caller at a time).</summary>
    public IRowEngine CreateEngine() => IsRegression
        ? new RowEngine<RegressorOutput>(_ml.Model.CreatePredictionEngine<ModelInput, RegressorOutput>(Transformer, inputSchemaDefinition: _input, outputSchemaDefinition: _output), ToRow, ToPrediction)
        : new RowEngine<ClassifierOutput>(_ml.Model.CreatePredictionEngine<ModelInput, ClassifierOutput>(Transformer, inputSchemaDefinition: _input, outputSchemaDefinition: _output), ToRow, ToPrediction);

    public void Dispose() => (Transformer as IDisposable)?.Dispose();

    private static ModelInput ToRow(TextInput input) => new() { Text = input.Text, Text2 = input.Text2 ?? "" };

    private Prediction ToPrediction(ClassifierOutput row)
    {
        var probabilities = new Dictionary<string, float>(ClassNames.Count);
        for (int i = 0; i < ClassNames.Count; i++) probabilities[ClassNames[i]] = row.Score[i];
        return new Prediction(row.PredictedLabel, probabilities.GetValueOrDefault(row.PredictedLabel, float.NaN), probabilities, null);
    }

    private static Prediction ToPrediction(RegressorOutput row) => new(null, null, null, row.Score);

    /// <summary>
    /// Maps <see cref="ModelInput"/> onto the model's own input column names. A classifier's chain starts by mapping its label
    /// column to keys, so that column must exist; it is given as empty text (a missing label), which scoring does not read.
    /// </summary>
    private static SchemaDefinition InputDefinition(DeltaLoRATransformer scorer, DataViewSchema inputSchema, string path)
    {
        var definition = SchemaDefinition.Create(typeof(ModelInput));
        definition[nameof(ModelInput.Text)].ColumnName = scorer.Sentence1ColumnName;
        if (scorer.Sentence2ColumnName is { } second) definition[nameof(ModelInput.Text2)].ColumnName = second;
        else definition.RemoveAll(c => c.MemberName == nameof(ModelInput.Text2));

        var label = inputSchema.FirstOrDefault(c => c.Name != scorer.Sentence1ColumnName && c.Name != scorer.Sentence2ColumnName);
        if (scorer.PredictedLabelColumnName is not null && label.Name is not null)
        {
            if (label.Type is not TextDataViewType)
                throw new InvalidDataException($"'{path}': the label column '{label.Name}' holds {label.Type}; this service gives classifiers a text label column.");
            definition[nameof(ModelInput.Label)].ColumnName = label.Name;
        }
        else definition.RemoveAll(c => c.MemberName == nameof(ModelInput.Label));
        return definition;
    }

    private static SchemaDefinition OutputDefinition(DeltaLoRATransformer scorer)
    {
        var definition = SchemaDefinition.Create(scorer.PredictedLabelColumnName is null ? typeof(RegressorOutput) : typeof(ClassifierOutput));
        definition[nameof(ClassifierOutput.Score)].ColumnName = scorer.ScoreColumnName;
        if (scorer.PredictedLabelColumnName is { } predicted) definition[nameof(ClassifierOutput.PredictedLabel)].ColumnName = predicted;
        return definition;
    }

    /// <summary>The class names the trainer put on the Score column (its slot names), or 0, 1, … when it has none.</summary>
    private static string[] ClassNamesOf(DataViewSchema.Column score, int count)
    {
        if (score.HasSlotNames())
        {
            var names = default(VBuffer<ReadOnlyMemory<char>>);
            score.GetSlotNames(ref names);
            if (names.Length == count) return names.DenseValues().Select(n => n.ToString()).ToArray();
        }
        return Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    private static DeltaLoRATransformer? FindScorer(ITransformer transformer) => transformer switch
    {
        DeltaLoRATransformer scorer => scorer,
        IEnumerable<ITransformer> chain => chain.Select(FindScorer).FirstOrDefault(s => s is not null),
        _ => null,
    };
}
