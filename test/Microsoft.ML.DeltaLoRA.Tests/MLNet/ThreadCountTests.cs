using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using TorchSharp;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

/// <summary>
/// The libtorch thread count chosen by <see cref="DeltaLoRAOptions.ThreadCount"/> and <see cref="TorchThreads.ScoringCount"/>, read
/// back from libtorch itself (<c>torch.get_num_threads</c>) during training, after Fit, after Model.Load, and on another thread.
/// Each test restores the process-wide setting it changed.
/// </summary>
public class ThreadCountTests
{
    /// <summary>A count other than the default, so that applying it is observable (1 unless the default is already 1).</summary>
    private static int NonDefaultCount => TorchThreads.DefaultCount == 1 ? 2 : 1;

    [SharedFact]
    public void Fit_trains_and_scores_with_the_chosen_thread_count()
    {
        using var restore = new RestoredThreads();
        var ml = new MLContext(seed: 1);
        var duringTraining = new List<int>();
        var options = ClassificationOptions();
        options.ThreadCount = NonDefaultCount;
        options.Progress = new SameThreadProgress(_ => duringTraining.Add(torch.get_num_threads()));

        using var model = FitSst2(ml, options);

        Assert.NotEmpty(duringTraining);
        Assert.All(duringTraining, count => Assert.Equal(NonDefaultCount, count));
        Assert.Equal(NonDefaultCount, torch.get_num_threads());
        Assert.Equal(NonDefaultCount, ((TorchSharpScoringEngine)model.Scorer.Engine).ThreadCount);
    }

    [SharedFact]
    public void Without_a_choice_Fit_uses_the_default_count()
    {
        using var restore = new RestoredThreads();
        torch.set_num_threads(NonDefaultCount);
        var ml = new MLContext(seed: 1);

        using var model = FitSst2(ml, ClassificationOptions());

        Assert.Equal(TorchThreads.DefaultCount, torch.get_num_threads());
        Assert.True(TorchThreads.DefaultCount <= Environment.ProcessorCount);
    }

    [SharedFact]
    public void Model_Load_applies_the_scoring_count_and_a_scoring_call_on_another_thread_uses_it_there()
    {
        using var restore = new RestoredThreads();
        var ml = new MLContext(seed: 1);
        using var folder = new TemporaryDirectory();
        var path = folder.File("model.zip");
        using (var fitted = FitSst2(ml, ClassificationOptions()))
            ml.Model.Save(fitted, Sst2Loader(ml).GetOutputSchema(), path);
        Assert.Equal(TorchThreads.DefaultCount, torch.get_num_threads());

        TorchThreads.ScoringCount = NonDefaultCount;
        var loaded = ml.Model.Load(path, out _);
        Assert.Equal(NonDefaultCount, torch.get_num_threads());

        // OpenMP keeps a count per thread: a thread that ran libtorch with another count before still scores with the model's.
        int countWhileScoring = 0;
        var other = new Thread(() =>
        {
            torch.set_num_threads(TorchThreads.DefaultCount == 1 ? 3 : TorchThreads.DefaultCount);
            var scored = loaded.Transform(Sst2Loader(ml).Load(Sst2Eval));
            Assert.Equal(128, ReadScores(scored).Length);
            countWhileScoring = torch.get_num_threads();
        });
        other.Start();
        other.Join();
        Assert.Equal(NonDefaultCount, countWhileScoring);
        (loaded as IDisposable)?.Dispose();
    }

    /// <summary>
    /// The default is libtorch's count when the library first asked for it; whatever ran in this process before (a bench
    /// command sets libtorch's count itself) must not have made it another than a fresh process's, or the tests that compare this
    /// process's scores with a fresh one's bit for bit compare two thread counts.
    /// </summary>
    [Fact]
    public void The_default_count_is_a_fresh_processs()
    {
        Assert.Equal(ModelLoadCheckProcess.DefaultThreadCount(), TorchThreads.DefaultCount);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    [InlineData(TorchThreads.MaxCount + 1)]
    public void An_invalid_ThreadCount_is_refused_naming_the_option(int count)
    {
        var options = new DeltaLoRAOptions { ThreadCount = count };

        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);

        Assert.Equal(nameof(DeltaLoRAOptions.ThreadCount), error.ParamName);
        Assert.Contains($"ThreadCount must be between 1 and {TorchThreads.MaxCount}", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(TorchThreads.MaxCount + 1)]
    public void An_invalid_ScoringCount_is_refused_naming_it_and_leaves_the_setting_unchanged(int count)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TorchThreads.ScoringCount = count);

        Assert.Equal(nameof(TorchThreads.ScoringCount), error.ParamName);
        Assert.Contains("ScoringCount must be between 1", error.Message);
        Assert.Null(TorchThreads.ScoringCount);
    }

    private static DeltaLoRATransformer FitSst2(MLContext ml, DeltaLoRAOptions options)
        => ml.MulticlassClassification.Trainers.DeltaLoRA(options)
            .Fit(ml.Transforms.Conversion.MapValueToKey("Label").Fit(Sst2Loader(ml).Load(Sst2Train)).Transform(Sst2Loader(ml).Load(Sst2Train)));

    /// <summary>Progress that reports on the training thread (System.Progress would post to the thread pool).</summary>
    private sealed class SameThreadProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    /// <summary>Puts back the scoring setting and this thread's libtorch count.</summary>
    private sealed class RestoredThreads : IDisposable
    {
        private readonly int _count = torch.get_num_threads();

        public void Dispose()
        {
            TorchThreads.ScoringCount = null;
            torch.set_num_threads(_count);
        }
    }
}
