using System.Reflection;
using Microsoft.ML.Runtime;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

/// <summary>Progress reports, ML.NET log, cancellation.</summary>
public class TrainingControlTests
{
    /// <summary>Calls back synchronously on the training thread (Progress&lt;T&gt; would post to a synchronization context).</summary>
    private sealed class RecordingProgress(Action<TrainingProgress>? onReport = null) : IProgress<TrainingProgress>
    {
        public List<TrainingProgress> Reports { get; } = [];

        public void Report(TrainingProgress value)
        {
            Reports.Add(value);
            onReport?.Invoke(value);
        }
    }

    private static IDataView KeyedSst2(MLContext ml)
    {
        var data = Sst2Loader(ml).Load(Sst2Train);
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    /// <summary>MLContext.CancelExecution is internal in ML.NET 5 (AutoML and other ML.NET components call it).</summary>
    private static void CancelExecution(MLContext ml)
        => typeof(MLContext).GetMethod("CancelExecution", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)!.Invoke(ml, null);

    private static DeltaLoRATrainer Classifier(MLContext ml, DeltaLoRAOptions options) => ml.MulticlassClassification.Trainers.DeltaLoRA(options);

    private static int Sst2TrainRows => File.ReadLines(Sst2Train).Count() - 1;

    [SharedFact]
    public void Every_step_is_reported_to_the_callback_and_to_the_MLContext_log()
    {
        var ml = new MLContext(seed: 1);
        var log = new List<LoggingEventArgs>();
        ml.Log += (_, e) => log.Add(e);
        var progress = new RecordingProgress();
        var options = ClassificationOptions();
        options.Epochs = 2;
        options.BatchSize = 64;
        options.Progress = progress;

        Classifier(ml, options).Fit(KeyedSst2(ml));

        int stepsPerEpoch = (int)Math.Ceiling(Sst2TrainRows / 64.0);
        Assert.Equal(Enumerable.Range(1, 2 * stepsPerEpoch), progress.Reports.Select(r => r.Step));
        Assert.Equal(2.0, progress.Reports[^1].Epoch, 12);
        var lines = log.Where(e => e.Kind == ChannelMessageKind.Info && e.Message.Contains("step ")).Select(e => e.Message).ToList();
        Assert.Equal(progress.Reports.Count, lines.Count);
        Assert.Contains(progress.Reports[0].ToString(), lines[0]);
        Assert.Contains(log, e => e.Message.Contains($"on {Sst2TrainRows} rows"));
    }

    [SharedFact]
    public void The_options_cancellation_token_stops_training_with_OperationCanceledException()
    {
        var ml = new MLContext(seed: 1);
        using var cancellation = new CancellationTokenSource();
        var progress = new RecordingProgress(report => { if (report.Step == 2) cancellation.Cancel(); });
        var options = ClassificationOptions();
        options.Epochs = 3;
        options.Progress = progress;
        options.CancellationToken = cancellation.Token;

        Assert.ThrowsAny<OperationCanceledException>(() => Classifier(ml, options).Fit(KeyedSst2(ml)));

        Assert.Equal(2, progress.Reports.Count);
    }

    [SharedFact]
    public void MLContext_CancelExecution_stops_training_with_OperationCanceledException()
    {
        var ml = new MLContext(seed: 1);
        var progress = new RecordingProgress(report => { if (report.Step == 3) CancelExecution(ml); });
        var options = ClassificationOptions();
        options.Epochs = 3;
        options.Progress = progress;

        Assert.ThrowsAny<OperationCanceledException>(() => Classifier(ml, options).Fit(KeyedSst2(ml)));

        Assert.Equal(3, progress.Reports.Count);
    }

    [SharedTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Cancellation_at_the_last_step_returns_no_model(bool byMLContext)
    {
        var ml = new MLContext(seed: 1);
        using var cancellation = new CancellationTokenSource();
        var options = ClassificationOptions();
        int lastStep = (int)Math.Ceiling(Sst2TrainRows / (double)options.BatchSize);
        var progress = new RecordingProgress(report =>
        {
            if (report.Step < lastStep) return;
            if (byMLContext) CancelExecution(ml);
            else cancellation.Cancel();
        });
        options.Progress = progress;
        options.CancellationToken = cancellation.Token;

        Assert.ThrowsAny<OperationCanceledException>(() => Classifier(ml, options).Fit(KeyedSst2(ml)));

        Assert.Equal(lastStep, progress.Reports.Count);
    }

    [SharedFact]
    public void Without_a_seed_the_model_repeats_with_the_MLContext_seed()
    {
        int[][] ScoresWith(int contextSeed)
        {
            var ml = new MLContext(seed: contextSeed);
            var rows = ml.Data.LoadFromEnumerable(new[] { new TextRow { Sentence1 = "fine", Label = 0 }, new TextRow { Sentence1 = "bad", Label = 1 } });
            var options = ClassificationOptions();
            options.Seed = null;
            using var model = Classifier(ml, options).Fit(rows);
            return Bits(ReadScores(model.Transform(rows)));
        }

        Assert.Equal(ScoresWith(5), ScoresWith(5));
        Assert.NotEqual(ScoresWith(5), ScoresWith(6));
    }
}
