using System.Reflection;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

/// <summary>
/// The small GLUE subsets in ../shared, loaded the way a user would with ML.NET's TextLoader, and the tiny RoBERTa fixture
/// model that the ML.NET layer's tests fine-tune and score with the real TorchSharp engine.
/// </summary>
internal static class MLNetTestData
{
    public static string Sst2Train => SharedData.PathOf("data", "small", "sst2_train_256.tsv");
    public static string Sst2Eval => SharedData.PathOf("data", "small", "sst2_eval_128.tsv");
    public static string RteTrain => SharedData.PathOf("data", "small", "rte_train_128.tsv");
    public static string RteEval => SharedData.PathOf("data", "small", "rte_eval_64.tsv");
    public static string MrpcTrain => SharedData.PathOf("data", "small", "mrpc_train_128.tsv");
    public static string MrpcEval => SharedData.PathOf("data", "small", "mrpc_eval_64.tsv");
    public static string StsbTrain => SharedData.PathOf("data", "small", "stsb_train_128.tsv");
    public static string StsbEval => SharedData.PathOf("data", "small", "stsb_eval_64.tsv");

    /// <summary>SST-2: Sentence1 (text), Label (Single 0/1).</summary>
    public static TextLoader Sst2Loader(MLContext ml) => ml.Data.CreateTextLoader(
        [new TextLoader.Column("Sentence1", DataKind.String, 0), new TextLoader.Column("Label", DataKind.Single, 1)],
        separatorChar: '\t', hasHeader: true, allowQuoting: false);

    /// <summary>RTE: Sentence1, Sentence2 (text), Label (text: entailment / not_entailment).</summary>
    public static TextLoader RteLoader(MLContext ml) => ml.Data.CreateTextLoader(
        [new TextLoader.Column("Sentence1", DataKind.String, 1), new TextLoader.Column("Sentence2", DataKind.String, 2),
         new TextLoader.Column("Label", DataKind.String, 3)],
        separatorChar: '\t', hasHeader: true, allowQuoting: false);

    /// <summary>MRPC: Sentence1, Sentence2 (#1 String, #2 String), Label (Quality, text 0/1); stray quotes inside fields, so no quoting.</summary>
    public static TextLoader MrpcLoader(MLContext ml) => ml.Data.CreateTextLoader(
        [new TextLoader.Column("Sentence1", DataKind.String, 3), new TextLoader.Column("Sentence2", DataKind.String, 4),
         new TextLoader.Column("Label", DataKind.String, 0)],
        separatorChar: '\t', hasHeader: true, allowQuoting: false);

    /// <summary>STS-B: Sentence1, Sentence2 (text), Label (Single similarity 0-5).</summary>
    public static TextLoader StsbLoader(MLContext ml) => ml.Data.CreateTextLoader(
        [new TextLoader.Column("Sentence1", DataKind.String, 7), new TextLoader.Column("Sentence2", DataKind.String, 8),
         new TextLoader.Column("Label", DataKind.Single, 9)],
        separatorChar: '\t', hasHeader: true, allowQuoting: false);

    /// <summary>A tiny RoBERTa classifier checkpoint (../shared/fixtures/hf): seconds to fine-tune on the small GLUE subsets.</summary>
    public static string FixtureModel => HuggingFaceFixtures.ModelFolder("roberta", "RobertaForSequenceClassification");

    /// <summary>Fine-tuning the fixture model, quickly and (with the seed) deterministically.</summary>
    public static DeltaLoRAOptions ClassificationOptions(string? sentence2 = null) => new()
    {
        ModelPath = FixtureModel,
        Sentence2ColumnName = sentence2,
        Rank = 4,
        LearningRate = 5e-3,
        Epochs = 1,
        BatchSize = 16,
        InferenceBatchSize = 7,
        MaxSequenceLength = 64,
        Seed = 1,
    };

    /// <summary>The estimator-side view of a schema, as pipelines build it (ML.NET's SchemaShape.Create is internal).</summary>
    public static SchemaShape ShapeOf(DataViewSchema schema)
        => (SchemaShape)typeof(SchemaShape).GetMethod("Create", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic, [typeof(DataViewSchema)])!
            .Invoke(null, [schema])!;

    /// <summary>The rows <see cref="DeltaLoRATrainer.Fit"/> reads from <paramref name="data"/>, as it reads them.</summary>
    public static TextTrainingSet RowsReadForFit(IDataView data, DeltaLoRAOptions options, PredictionTask task)
        => TrainingRowReader.Read(data, task, options).Rows;

    /// <summary>
    /// A transformer around the fixture model with a fresh (seeded) head, untrained, whose engine records every call: for
    /// tests of scoring that need no fine-tuning.
    /// </summary>
    public static (DeltaLoRATransformer Model, RecordingEngine Engine) UntrainedModel(MLContext ml, PredictionTask task, int outputCount, int batchSize,
        string? sentence2 = null)
    {
        TorchSharp.torch.manual_seed(1);
        var engine = new RecordingEngine(new TorchSharpScoringEngine(TextClassificationModel.LoadPretrained(FixtureModel, outputCount), maxSequenceLength: 64, TorchThreads.DefaultCount), ownsInner: true);
        var columns = new PredictionColumns(task, "Sentence1", sentence2, "Score", task == PredictionTask.Regression ? null : "PredictedLabel", outputCount, null);
        return (new DeltaLoRATransformer(ml, new BatchScorer(engine, columns, batchSize)), engine);
    }

    /// <summary>The fitted <see cref="DeltaLoRATransformer"/> inside a pipeline's model.</summary>
    public static DeltaLoRATransformer DeltaLoRAPart(ITransformer model)
        => model as DeltaLoRATransformer ?? ((IEnumerable<ITransformer>)model).OfType<DeltaLoRATransformer>().Single();

    /// <summary>
    /// Wraps a fitted model's engine in a <see cref="RecordingEngine"/>; disposing the returned transformer disposes the
    /// fitted model's engine only when <paramref name="ownsEngine"/>.
    /// </summary>
    public static (DeltaLoRATransformer Model, RecordingEngine Engine) Recording(DeltaLoRATransformer fitted, int? batchSize = null, bool ownsEngine = false)
    {
        var engine = new RecordingEngine(fitted.Scorer.Engine, ownsEngine);
        return (new DeltaLoRATransformer(fitted.Environment, new BatchScorer(engine, fitted.Columns, batchSize ?? fitted.InferenceBatchSize)), engine);
    }

    public static float[][] ReadScores(IDataView data, string column = "Score")
    {
        var scoreColumn = data.Schema[column];
        var rows = new List<float[]>();
        using var cursor = data.GetRowCursor([scoreColumn]);
        if (scoreColumn.Type is VectorDataViewType)
        {
            var getter = cursor.GetGetter<VBuffer<float>>(scoreColumn);
            var buffer = default(VBuffer<float>);
            while (cursor.MoveNext())
            {
                getter(ref buffer);
                rows.Add(buffer.DenseValues().ToArray());
            }
        }
        else
        {
            var getter = cursor.GetGetter<float>(scoreColumn);
            float value = 0;
            while (cursor.MoveNext())
            {
                getter(ref value);
                rows.Add([value]);
            }
        }
        return rows.ToArray();
    }

    public static T[] ReadColumn<T>(IDataView data, string column)
    {
        var values = new List<T>();
        using var cursor = data.GetRowCursor([data.Schema[column]]);
        var getter = cursor.GetGetter<T>(data.Schema[column]);
        T value = default!;
        while (cursor.MoveNext())
        {
            getter(ref value);
            values.Add(value);
        }
        return values.ToArray();
    }

    /// <summary>Bit patterns, so that comparisons are exact and NaN-safe.</summary>
    public static int[][] Bits(float[][] rows) => rows.Select(r => r.Select(BitConverter.SingleToInt32Bits).ToArray()).ToArray();
}
