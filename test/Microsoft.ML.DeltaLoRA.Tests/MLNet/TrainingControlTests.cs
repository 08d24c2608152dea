using System.Reflection;
using Microsoft.ML.Runtime;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;
using Microsoft.ML.DeltaLoRA.MLNet;

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

    [SharedFact]
    public void Every_step_is_reported_to_the_callback_and_to_the_MLContext_log()
    {
        var ml = new MLContext(seed: 1);
        var log = new List<LoggingEventArgs>();
        ml.Log += (_, e) => log.Add(e);
        var progress = new RecordingProgress();
        var options = new DeltaLoRAOptions { Epochs = 2, BatchSize = 64, Progress = progress };

        Trainer(ml, options, PredictionTask.MulticlassClassification, new BagOfCharactersTrainer()).Fit(KeyedSst2(ml));

        int stepsPerEpoch = (int)Math.Ceiling((File.ReadLines(Sst2Train).Count() - 1) / 64.0);
        Assert.Equal(Enumerable.Range(1, 2 * stepsPerEpoch), progress.Reports.Select(r => r.Step));
        Assert.Equal(2.0, progress.Reports[^1].Epoch, 12);
        var lines = log.Where(e => e.Kind == ChannelMessageKind.Info && e.Message.Contains("step ")).Select(e => e.Message).ToList();
        Assert.Equal(progress.Reports.Count, lines.Count);
        Assert.Contains(progress.Reports[0].ToString(), lines[0]);
        Assert.Contains(log, e => e.Message.Contains($"on {File.ReadLines(Sst2Train).Count() - 1} rows"));
    }

    [SharedFact]
    public void The_options_cancellation_token_stops_training_with_OperationCanceledException()
    {
        var ml = new MLContext(seed: 1);
        using var cancellation = new CancellationTokenSource();
        var progress = new RecordingProgress(report => { if (report.Step == 2) cancellation.Cancel(); });
        var engine = new BagOfCharactersTrainer();
        var options = new DeltaLoRAOptions { Epochs = 3, BatchSize = 16, Progress = progress, CancellationToken = cancellation.Token };

        Assert.ThrowsAny<OperationCanceledException>(() => Trainer(ml, options, PredictionTask.MulticlassClassification, engine).Fit(KeyedSst2(ml)));

        Assert.Equal(2, progress.Reports.Count);
        Assert.True(engine.Scorers.Single().IsDisposed);
    }

    [SharedFact]
    public void MLContext_CancelExecution_stops_training_with_OperationCanceledException()
    {
        var ml = new MLContext(seed: 1);
        var progress = new RecordingProgress(report => { if (report.Step == 3) CancelExecution(ml); });
        var engine = new BagOfCharactersTrainer();
        var options = new DeltaLoRAOptions { Epochs = 3, BatchSize = 16, Progress = progress };

        Assert.ThrowsAny<OperationCanceledException>(() => Trainer(ml, options, PredictionTask.MulticlassClassification, engine).Fit(KeyedSst2(ml)));

        Assert.Equal(3, progress.Reports.Count);
        Assert.True(engine.Scorers.Single().IsDisposed);
    }

    [Fact]
    public void Cancellation_after_the_engine_returns_disposes_the_model_instead_of_returning_it()
    {
        var ml = new MLContext(seed: 1);
        using var cancellation = new CancellationTokenSource();
        var engine = new CancelingAtTheEnd(cancellation);
        var rows = ml.Data.LoadFromEnumerable(new[] { new TextRow { Sentence1 = "fine", Label = 0 }, new TextRow { Sentence1 = "bad", Label = 1 } });
        var options = new DeltaLoRAOptions { Epochs = 1, CancellationToken = cancellation.Token };

        Assert.ThrowsAny<OperationCanceledException>(() => Trainer(ml, options, PredictionTask.MulticlassClassification, engine).Fit(rows));

        Assert.True(engine.Inner.Scorers.Single().IsDisposed);
    }

    [Fact]
    public void The_context_seed_repeats_with_the_MLContext_seed()
    {
        int SeedSeenBy(int contextSeed)
        {
            var ml = new MLContext(seed: contextSeed);
            var engine = new SeedRecorder();
            var rows = ml.Data.LoadFromEnumerable(new[] { new TextRow { Sentence1 = "fine", Label = 0 }, new TextRow { Sentence1 = "bad", Label = 1 } });
            Trainer(ml, new DeltaLoRAOptions { Epochs = 1 }, PredictionTask.MulticlassClassification, engine).Fit(rows);
            return engine.Seed;
        }

        Assert.Equal(SeedSeenBy(5), SeedSeenBy(5));
        Assert.NotEqual(SeedSeenBy(5), SeedSeenBy(6));
    }

    private sealed class SeedRecorder : ITextScorerTrainer
    {
        public int Seed { get; private set; }

        public ITextScorer Train(TextTrainingSet trainingSet, TextTrainingSet? validationSet, TrainerSettings settings, TrainingSession session)
        {
            Seed = session.ContextSeed;
            return new BagOfCharactersTrainer().Train(trainingSet, validationSet, settings, session);
        }
    }

    /// <summary>Trains normally, then cancels just before returning (cancellation racing the end of training).</summary>
    private sealed class CancelingAtTheEnd(CancellationTokenSource cancellation) : ITextScorerTrainer
    {
        public BagOfCharactersTrainer Inner { get; } = new();

        public ITextScorer Train(TextTrainingSet trainingSet, TextTrainingSet? validationSet, TrainerSettings settings, TrainingSession session)
        {
            var scorer = Inner.Train(trainingSet, validationSet, settings, session);
            cancellation.Cancel();
            return scorer;
        }
    }
}
