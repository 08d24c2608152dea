using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>
/// <c>save-sizes</c>: the bytes of a model zip saved full and compact (docs/adapters.md), for MiniLM (from the model cache) and
/// a random BERT-base-shaped checkpoint (<see cref="BertBaseFolder"/>), each fine-tuned for a few LoRA and Delta-LoRA steps
/// (r 8, K 1 so that a Delta-LoRA delta has rank 2r) on SST-2 rows from ../shared. Sizes do not depend on how long one trains.
/// </summary>
internal static class SaveSizes
{
    public static int Run()
    {
        var sst2 = SharedFiles.Find("data", "small", "sst2_train_256.tsv") ?? throw new FileNotFoundException("../shared/data/small/sst2_train_256.tsv was not found; set DELTALORA_SHARED.");
        var vocabulary = SharedFiles.Find("fixtures", "tokenizers", "bert-base-uncased-vocab.txt") ?? throw new FileNotFoundException("../shared/fixtures/tokenizers/bert-base-uncased-vocab.txt was not found.");
        Console.WriteLine("| model | method | full zip (bytes) | compact zip (bytes) | full / compact |");
        Console.WriteLine("|---|---|---|---|---|");
        Measure("minilm", "MiniLM", sst2);
        using var bertBase = BertBaseFolder.Create(layers: 12, vocabulary);
        Measure(bertBase.Path, "BERT-base shape", sst2);
        return 0;
    }

    private static void Measure(string modelPath, string label, string sst2)
    {
        foreach (var method in new[] { FineTuningMethod.LoRA, FineTuningMethod.DeltaLoRA })
        {
            var ml = new MLContext(seed: 1);
            var loader = ml.Data.CreateTextLoader([new TextLoader.Column("Sentence1", DataKind.String, 0), new TextLoader.Column("Label", DataKind.Single, 1)],
                separatorChar: '\t', hasHeader: true, allowQuoting: false);
            var rows = ml.Data.TakeRows(loader.Load(sst2), 8);
            var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(rows).Transform(rows);
            using var model = ml.MulticlassClassification.Trainers.DeltaLoRA(new DeltaLoRAOptions
            {
                ModelPath = modelPath, Method = method, Rank = 8, Alpha = 16, StartSteps = 1, WarmupSteps = 0, MaxSteps = 2, BatchSize = 4,
                MaxSequenceLength = 16, Seed = 1, SaveMode = ModelSaveMode.Compact,
            }).Fit(keyed);
            var folder = Directory.CreateTempSubdirectory("deltalora-sizes-").FullName;
            try
            {
                var engine = (TorchSharpScoringEngine)model.Scorer.Engine;
                var compact = Path.Combine(folder, "compact.zip");
                var full = Path.Combine(folder, "full.zip");
                ml.Model.SaveAtomically(model, rows.Schema, compact);
                engine.SaveMode = ModelSaveMode.Full;
                ml.Model.SaveAtomically(model, rows.Schema, full);
                long compactBytes = new FileInfo(compact).Length, fullBytes = new FileInfo(full).Length;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {label} | {method} (rank {engine.Model.Delta!.AdaptedWeights[0].Rank}) | {fullBytes:N0} | {compactBytes:N0} | {(double)fullBytes / compactBytes:0} |"));
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
