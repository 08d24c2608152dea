using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

/// <summary>The small GLUE subsets in ../shared, loaded the way a user would with ML.NET's TextLoader.</summary>
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

    /// <summary>The trainer with the test double engine in place of the real one.</summary>
    public static DeltaLoRATrainer Trainer(MLContext ml, DeltaLoRAOptions options, PredictionTask task, ITextScorerTrainer engine)
        => new(ml, options, task, engine);

    public static DeltaLoRAOptions ClassificationOptions(string? sentence2 = null) => new()
    {
        Sentence2ColumnName = sentence2,
        Epochs = 4,
        BatchSize = 16,
        InferenceBatchSize = 7,
    };

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
