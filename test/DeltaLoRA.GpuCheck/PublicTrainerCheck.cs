using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Microsoft.ML.DeltaLoRA.GpuCheck;

/// <summary>
/// (c) The public trainer as a user runs it: <c>MLContext.GpuDeviceId</c> set (no fallback to the CPU), Delta-LoRA on the
/// SST-2 subset with the tiny RoBERTa fixture, the model saved to a zip, loaded by a fresh MLContext (which scores on the CPU)
/// and scored again: every score within 1e-4 of the device's, and the same predicted labels.
/// </summary>
internal static class PublicTrainerCheck
{
    private const double Tolerance = 1e-4;

    private sealed class Scored
    {
        public float[] Score { get; set; } = [];
        public float PredictedLabel { get; set; }
    }

    public static SectionResult Run(CheckOptions options, string workFolder)
    {
        var result = new SectionResult("trainer", "(c) Public trainer on the device, reloaded and scored on the CPU");
        string train = Path.Combine(options.SharedFolder, "data", "small", "sst2_train_256.tsv");
        string eval = Path.Combine(options.SharedFolder, "data", "small", "sst2_eval_128.tsv");
        string modelFolder = Path.Combine(options.SharedFolder, "fixtures", "hf", "roberta", "RobertaForSequenceClassification");

        var ml = new MLContext(seed: 1) { GpuDeviceId = options.GpuDeviceId, FallbackToCpu = false };
        var loader = Sst2Loader(ml);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.DeltaLoRA(new DeltaLoRAOptions
            {
                ModelPath = modelFolder, Rank = 4, Alpha = 8, UpdateRatio = 0.5, StartSteps = 2, LearningRate = 5e-3, WarmupSteps = 2,
                BatchSize = 16, Epochs = options.Quick ? 1 : 2, MaxSequenceLength = 64,
            }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(loader.Load(train));
        var onDevice = Read(ml, model.Transform(loader.Load(eval)));
        string zip = Path.Combine(workFolder, "sst2-deltalora.zip");
        ml.Model.Save(model, loader, zip);

        var cpu = new MLContext(seed: 1);
        var reloaded = cpu.Model.Load(zip, out _);
        var onCpu = Read(cpu, reloaded.Transform(Sst2Loader(cpu).Load(eval)));

        double largest = 0;
        int differentLabels = 0;
        for (int i = 0; i < onDevice.Count; i++)
        {
            largest = Math.Max(largest, onDevice[i].Score.Zip(onCpu[i].Score, (a, b) => Math.Abs(a - b)).Max());
            if (onDevice[i].PredictedLabel != onCpu[i].PredictedLabel) differentLabels++;
        }
        if (onDevice.Count != onCpu.Count || onDevice.Count == 0) result.Fail($"{onDevice.Count} rows scored on the device, {onCpu.Count} on the CPU");
        if (largest > Tolerance) result.Fail($"scores differ by up to {largest:g3} between the device and the reloaded CPU model");
        if (differentLabels > 0) result.Fail($"{differentLabels} predicted labels differ");
        if (onDevice.Select(r => r.Score[0]).Distinct().Count() < 2) result.Fail("every sentence got the same score: the model did not learn anything to compare");
        double accuracy = onDevice.Zip(File.ReadLines(eval).Skip(1), (r, line) => r.PredictedLabel.ToString(CultureInfo.InvariantCulture) == line.Split('\t')[1].Trim() ? 1.0 : 0.0).Average();
        result.Columns.AddRange(["rows scored", "max |score device − score CPU|", "labels differing", "zip bytes", "accuracy (tiny fixture)"]);
        result.Rows.Add([onDevice.Count.ToString(CultureInfo.InvariantCulture), largest.ToString("0.00e+00", CultureInfo.InvariantCulture),
            differentLabels.ToString(CultureInfo.InvariantCulture), new FileInfo(zip).Length.ToString(CultureInfo.InvariantCulture), accuracy.ToString("0.000", CultureInfo.InvariantCulture)]);
        result.Summary = $"MLContext.GpuDeviceId = {(options.GpuDeviceId?.ToString(CultureInfo.InvariantCulture) ?? "null (CPU)")}, FallbackToCpu = false; "
            + $"Delta-LoRA on {Path.GetFileName(train)}, scored on {Path.GetFileName(eval)}.";
        return result;
    }

    private static TextLoader Sst2Loader(MLContext ml) => ml.Data.CreateTextLoader(
        [new TextLoader.Column("Sentence1", DataKind.String, 0), new TextLoader.Column("Label", DataKind.Single, 1)],
        separatorChar: '\t', hasHeader: true, allowQuoting: false);

    private static List<Scored> Read(MLContext ml, IDataView scored) => ml.Data.CreateEnumerable<Scored>(scored, reuseRowObject: false).ToList();
}
