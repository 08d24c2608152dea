using Microsoft.ML.Runtime;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;
using static Microsoft.ML.DeltaLoRA.Tests.Sweeping.SweepFixtureData;
using Microsoft.ML.DeltaLoRA.Sweeping;

namespace Microsoft.ML.DeltaLoRA.Tests.Sweeping;

/// <summary>
/// One 20-second sweep on the tiny RoBERTa fixture, shared by the tests below. Its search space mixes LoRA at absurd learning
/// rates (10²⁰ to 10³⁰: after one step B·A overflows float32, so the loss is no longer finite) with full fine-tuning at sane
/// ones, so that failed and completed trials alternate.
/// </summary>
public sealed class BudgetSweepFixture : IDisposable
{
    public const double BudgetSeconds = 20;

    private readonly Lazy<Outcome> _outcome = new(RunSweep);

    public sealed record Outcome(DeltaLoRAExperimentResult Result, TimedSweepProgress Progress, double Seconds, List<LoggingEventArgs> Log, MLContext Ml);

    public Outcome Sweep => _outcome.Value;

    public static DeltaLoRASearchSpace Space => new()
    {
        Methods = [FineTuningMethod.LoRA, FineTuningMethod.Full],
        AdapterLearningRate = new(1e20, 1e30),
        FullLearningRate = new(1e-4, 1e-3),
        Ranks = [4],
        Epochs = new(1, 1),
    };

    private static Outcome RunSweep()
    {
        var ml = new MLContext(seed: 1);
        var log = new List<LoggingEventArgs>();
        ml.Log += (_, e) => { lock (log) log.Add(e); };
        var (train, eval) = KeyedSst2(ml);
        WarmUp();
        var progress = new TimedSweepProgress();
        var experiment = new DeltaLoRAExperiment(ml, BaseOptions())
            .SetValidationData(eval).SetSearchSpace(Space).SetMaxSeconds(BudgetSeconds).SetSeed(5).SetProgress(progress);
        progress.Restart();
        var result = experiment.Run(train);
        return new Outcome(result, progress, progress.Seconds, log, ml);
    }

    /// <summary>
    /// The first fit in a process pays for JIT compilation and the first model load, which took up to 19 s of the 20-second budget
    /// on a loaded machine; one step outside the budget (its own MLContext, so the sweep's seeds are untouched) pays it first.
    /// </summary>
    private static void WarmUp()
    {
        var ml = new MLContext(seed: 1);
        var options = BaseOptions();
        options.MaxSteps = 1;
        using var model = ml.MulticlassClassification.Trainers.DeltaLoRA(options).Fit(KeyedSst2(ml).Train);
    }

    public void Dispose()
    {
        if (_outcome.IsValueCreated) _outcome.Value.Result.Dispose();
    }
}

public class BudgetSweepTests(BudgetSweepFixture fixture, ITestOutputHelper output) : IClassFixture<BudgetSweepFixture>
{
    [SharedFact]
    public void A_20_second_budget_stops_the_trial_in_flight_within_one_optimizer_step()
    {
        var sweep = fixture.Sweep;
        var reports = sweep.Progress.Reports;
        // After the deadline (on the experiment's clock) the trial in flight may finish the step it is in (one step report) and
        // then ends (its end report); nothing else runs. Were the budget not linked to the trainer, its steps would go on.
        var late = reports.Where(r => r.Report.ElapsedSeconds > BudgetSweepFixture.BudgetSeconds).Select(r => r.Report).ToArray();
        Assert.True(late.Count(r => r.Step is not null) <= 1, $"{late.Count(r => r.Step is not null)} steps reported after the deadline");
        Assert.True(late.Length <= 2, $"{late.Length} reports after the deadline");
        Assert.All(late, r => Assert.Equal(sweep.Result.Trials[^1].Number, r.Trial.Number));
        var last = sweep.Result.Trials[^1];
        // A trial stopped by the budget may have reported all its steps: the deadline can fall in its validation pass.
        if (last.Status == SweepTrialStatus.Canceled)
            Assert.True(StepsReported(sweep.Progress, last.Number) <= last.Steps, "A trial stopped by the budget ran past its own steps.");

        // In wall time: the deadline falls in one stretch between reports (a step, a model load or a validation pass, where
        // nothing checks it); the trial in flight then stops (at most one more stretch) and Run returns.
        var times = reports.Select(r => r.Seconds).ToArray();
        double longest = times.Zip(times.Skip(1), (a, b) => b - a).Max();
        double overrun = sweep.Seconds - BudgetSweepFixture.BudgetSeconds;
        var steps = StepTimes(sweep.Progress);
        output.WriteLine($"{sweep.Result.Trials.Count} trials in {sweep.Seconds:0.000} s: overrun {overrun:0.000} s; longest stretch between reports {longest:0.000} s; " +
            $"optimizer step median {Median(steps):0.000} s, max {steps.Max():0.000} s; reports after the deadline: {late.Length}; last trial {last.Status}");
        Assert.True(overrun >= 0, $"The sweep ended {-overrun:0.000} s before its budget.");
        Assert.True(overrun <= 2 * longest + (sweep.Seconds - times[^1]), $"overrun {overrun:0.000} s; longest stretch {longest:0.000} s");
    }

    [SharedFact]
    public void Trials_with_an_absurd_learning_rate_are_recorded_as_failed_and_the_sweep_goes_on()
    {
        var trials = fixture.Sweep.Result.Trials;
        var failed = trials.Where(t => t.Status == SweepTrialStatus.Failed).ToArray();
        Assert.NotEmpty(failed);
        Assert.All(failed, t => Assert.Equal(FineTuningMethod.LoRA, t.Configuration.Method));
        Assert.All(failed, t => Assert.Contains("diverged", t.FailureReason));
        Assert.All(failed, t => Assert.Null(t.Metric));
        Assert.Contains(trials, t => t.Status == SweepTrialStatus.Completed && t.Number > failed[0].Number);
        Assert.All(trials.Where(t => t.Status == SweepTrialStatus.Completed), t => Assert.Equal(FineTuningMethod.Full, t.Configuration.Method));
    }

    [SharedFact]
    public void The_best_model_predicts_exactly_like_a_direct_Fit_with_its_options()
    {
        var result = fixture.Sweep.Result;
        var ml = new MLContext(seed: 99);
        var (train, eval) = KeyedSst2(ml);
        using var direct = ml.MulticlassClassification.Trainers.DeltaLoRA(result.BestOptions).Fit(train);

        Assert.Equal(Bits(ReadScores(direct.Transform(eval))), Bits(ReadScores(result.BestModel.Transform(eval))));
        var accuracy = ml.MulticlassClassification.Evaluate(result.BestModel.Transform(eval)).MicroAccuracy;
        Assert.Equal(result.BestTrial.Metric!.Value, accuracy, 12);
        Assert.Equal(result.Trials.Where(t => t.Status == SweepTrialStatus.Completed).Max(t => t.Rung), result.BestTrial.Rung);
    }

    [SharedFact]
    public void Progress_reports_trial_number_best_so_far_and_seconds_left_to_the_callback_and_the_MLContext_log()
    {
        var sweep = fixture.Sweep;
        var ends = sweep.Progress.Reports.Select(r => r.Report).Where(r => r.Step is null && r.Trial.Status != SweepTrialStatus.Running).ToArray();
        Assert.Equal(sweep.Result.Trials, ends.Select(r => r.Trial));
        Assert.All(sweep.Progress.Reports, r => Assert.InRange(r.Report.SecondsLeft!.Value, 0, BudgetSweepFixture.BudgetSeconds));
        Assert.Equal(sweep.Result.BestTrial, ends[^1].BestTrial);
        Assert.Contains(sweep.Progress.Reports, r => r.Report.Step is { Step: 1 });

        List<string> lines;
        lock (sweep.Log) lines = sweep.Log.Where(e => e.Source.Contains(nameof(DeltaLoRAExperiment))).Select(e => e.Message).ToList();
        foreach (var trial in sweep.Result.Trials) Assert.Contains(lines, l => l.Contains($"Trial {trial.Number} ended"));
        Assert.Contains(lines, l => l.Contains("best so far trial") && l.Contains(" s left"));
    }

    private static int StepsReported(TimedSweepProgress progress, int trial) => progress.Reports.Count(r => r.Report.Trial.Number == trial && r.Report.Step is not null);

    private static double[] StepTimes(TimedSweepProgress progress)
        => progress.Reports.Zip(progress.Reports.Skip(1))
            .Where(p => p.Second.Report.Step is { Step: > 1 } && p.First.Report.Step is not null && p.First.Report.Trial.Number == p.Second.Report.Trial.Number)
            .Select(p => p.Second.Seconds - p.First.Seconds).ToArray();

    private static double Median(double[] values) => values.Order().ElementAt(values.Length / 2);
}
