using DeltaLoRA.Cli.Commands;
using Google.Protobuf;
using Microsoft.ML.DeltaLoRA.Architectures;
using Microsoft.ML.DeltaLoRA.Export;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

/// <summary>
/// <see cref="OnnxRuntimeThreads"/>: the threads of the ONNX Runtime engine's session, read back from the process (ORT's intra-op
/// pool starts its threads when the session is made), the settings' bounds, and the CLI's <c>--threads</c> reaching both engines.
/// Each test restores the process-wide settings it changed.
/// </summary>
public class OnnxRuntimeThreadsTests
{
    [SharedFact]
    public void A_session_made_after_choosing_a_count_runs_on_that_many_threads()
    {
        Assert.True(OperatingSystem.IsLinux(), "This check counts the process's threads in /proc/self/task (Linux).");
        using var restore = new RestoredSettings();
        var (graph, tokenizerFiles, family) = FixtureEngineParts();

        // ORT's pool has count − 1 threads of its own: the thread that calls Run is the last one. Threads of the runtime may
        // start at any time in between, so a count is taken as the difference of the two sessions, and read up to three times.
        int ThreadsStartedBySession(int count)
        {
            OnnxRuntimeThreads.ScoringCount = count;
            int before = Directory.GetDirectories("/proc/self/task").Length;
            using var engine = OnnxRuntimeScoringEngine.Create(graph, tokenizerFiles, family, maxSequenceLength: 32);
            var outputs = new float[2];
            engine.Score(["a short sentence"], null, batchSize: 1, outputs);
            return Directory.GetDirectories("/proc/self/task").Length - before;
        }

        var differences = new List<int>();
        for (int attempt = 0; attempt < 3 && (differences.Count == 0 || differences[^1] != 3); attempt++)
            differences.Add(ThreadsStartedBySession(4) - ThreadsStartedBySession(1));
        Assert.True(differences[^1] == 3, $"A 4-thread session should start 3 more threads than a 1-thread one; found {string.Join(", ", differences)}.");
    }

    /// <summary>
    /// Spinning shows in how often the session's own worker sleeps: allowed to spin, a 2-thread session's worker waits for the
    /// next op of a run by spinning; not allowed, it sleeps before each, and every sleep is a voluntary context switch, which the
    /// kernel counts per thread (/proc/self/task/*/status). CPU time shows it as well, but only on an idle machine: beside busy
    /// processes a spinning thread yields its core, and spinning costs it little CPU.
    /// </summary>
    [SharedFact]
    public void Without_spinning_the_sessions_own_threads_sleep_between_the_ops_of_a_run()
    {
        Assert.True(OperatingSystem.IsLinux(), "This check reads the threads' context switches in /proc/self/task (Linux).");
        using var restore = new RestoredSettings();
        var (graph, tokenizerFiles, family) = FixtureEngineParts();
        var texts = Enumerable.Range(0, 32).Select(i => $"sentence {i}, with a few more words to give each op some work").ToArray();

        long WorkerSleeps(bool spin)
        {
            OnnxRuntimeThreads.ScoringCount = 2;
            OnnxRuntimeThreads.SpinWhileRunning = spin;
            var before = ThreadIds();
            using var engine = OnnxRuntimeScoringEngine.Create(graph, tokenizerFiles, family, maxSequenceLength: 64);
            var workers = ThreadIds().Except(before).ToList();
            long Sleeps() => workers.Sum(id => long.Parse(File.ReadLines($"/proc/self/task/{id}/status")
                .Single(line => line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)).Split(':')[1]));
            var outputs = new float[2 * texts.Length];
            long start = Sleeps();
            for (int run = 0; run < 100; run++) engine.Score(texts, null, texts.Length, outputs);
            return Sleeps() - start;
        }

        // Not spinning, the worker sleeps several times per run (here 12–16); spinning, tens of times less often.
        static bool Separated((long Spinning, long NotSpinning) r) => r.NotSpinning >= 100 && r.NotSpinning >= 10 * r.Spinning;
        var readings = new List<(long Spinning, long NotSpinning)>();
        for (int attempt = 0; attempt < 3 && (readings.Count == 0 || !Separated(readings[^1])); attempt++)
            readings.Add((WorkerSleeps(spin: true), WorkerSleeps(spin: false)));
        Assert.True(Separated(readings[^1]),
            "Sleeps of the session's threads in 100 runs, spinning / not: " + string.Join(", ", readings.Select(r => $"{r.Spinning} / {r.NotSpinning}")));

        static HashSet<string> ThreadIds() => Directory.GetDirectories("/proc/self/task").Select(Path.GetFileName).OfType<string>().ToHashSet();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    [InlineData(TorchThreads.MaxCount + 1)]
    public void An_invalid_ScoringCount_is_refused_naming_it_and_leaves_the_setting_unchanged(int count)
    {
        using var restore = new RestoredSettings();
        OnnxRuntimeThreads.ScoringCount = 2;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => OnnxRuntimeThreads.ScoringCount = count);
        Assert.Equal(nameof(OnnxRuntimeThreads.ScoringCount), error.ParamName);
        Assert.Contains($"between 1 and {TorchThreads.MaxCount}", error.Message);
        Assert.Equal(2, OnnxRuntimeThreads.ScoringCount);
    }

    [Fact]
    public void The_engines_settings_are_the_public_choice_and_default_to_onnx_runtimes_own()
    {
        using var restore = new RestoredSettings();
        Assert.Equal(new OnnxRuntimeScoringEngine.ThreadSettings(0, SpinWhileRunning: true), OnnxRuntimeScoringEngine.ThreadSettings.Current);
        OnnxRuntimeThreads.ScoringCount = 3;
        OnnxRuntimeThreads.SpinWhileRunning = false;
        Assert.Equal(new OnnxRuntimeScoringEngine.ThreadSettings(3, SpinWhileRunning: false), OnnxRuntimeScoringEngine.ThreadSettings.Current);
    }

    [Fact]
    public void The_clis_threads_option_sets_the_count_of_both_engines()
    {
        using var restore = new RestoredSettings();
        ThreadsOption.ApplyToScoring(null);
        Assert.Null(OnnxRuntimeThreads.ScoringCount);
        Assert.Null(TorchThreads.ScoringCount);
        ThreadsOption.ApplyToScoring(2);
        Assert.Equal(2, OnnxRuntimeThreads.ScoringCount);
        Assert.Equal(2, TorchThreads.ScoringCount);
    }

    /// <summary>The ONNX Runtime engine's graph, tokenizer files and family for the RoBERTa fixture (not fine-tuned).</summary>
    private static (byte[] Graph, List<KeyValuePair<string, byte[]>> TokenizerFiles, ModelFamily Family) FixtureEngineParts()
    {
        using var network = TextClassificationModel.LoadPretrained(FixtureModel, 2);
        return (OnnxExport.Build(network, fusedAttention: true).ToByteArray(), HuggingFaceExport.TokenizerFiles(network).ToList(), network.Family);
    }

    private sealed class RestoredSettings : IDisposable
    {
        public void Dispose()
        {
            OnnxRuntimeThreads.ScoringCount = null;
            OnnxRuntimeThreads.SpinWhileRunning = true;
            TorchThreads.ScoringCount = null;
        }
    }
}
