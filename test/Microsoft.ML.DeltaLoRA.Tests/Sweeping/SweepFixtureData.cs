using System.Diagnostics;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;
using Microsoft.ML.DeltaLoRA.Sweeping;

namespace Microsoft.ML.DeltaLoRA.Tests.Sweeping;

/// <summary>What the sweep tests fit: SST-2's small subsets, labels mapped to keys, on the tiny RoBERTa fixture.</summary>
internal static class SweepFixtureData
{
    public static string RobertaFolder => HuggingFaceFixtures.ModelFolder("roberta", "RobertaForSequenceClassification");

    /// <summary>The 256 training rows and the 128 evaluation rows, with the label as a key (what the trainer reads).</summary>
    public static (IDataView Train, IDataView Eval) KeyedSst2(MLContext ml)
    {
        var loader = Sst2Loader(ml);
        var train = loader.Load(Sst2Train);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
        return (keys.Transform(train), keys.Transform(loader.Load(Sst2Eval)));
    }

    public static DeltaLoRAOptions BaseOptions() => new()
    {
        ModelPath = RobertaFolder,
        Sentence1ColumnName = "Sentence1",
        Rank = 4,
        Alpha = 8,
        BatchSize = 16,
        MaxSequenceLength = 64,
    };
}

/// <summary>Records every report with the time since the sweep started, on the training thread.</summary>
public sealed class TimedSweepProgress(Action<SweepProgress>? onReport = null) : IProgress<SweepProgress>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public List<(double Seconds, SweepProgress Report)> Reports { get; } = [];

    public double Seconds => _clock.Elapsed.TotalSeconds;

    public void Restart() => _clock.Restart();

    public void Report(SweepProgress value)
    {
        Reports.Add((Seconds, value));
        onReport?.Invoke(value);
    }
}
