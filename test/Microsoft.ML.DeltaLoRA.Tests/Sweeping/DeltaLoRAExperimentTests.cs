using System.Reflection;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;
using static Microsoft.ML.DeltaLoRA.Tests.Sweeping.SweepFixtureData;
using Microsoft.ML.DeltaLoRA.Sweeping;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Tests.Sweeping;

/// <summary>The experiment on the tiny RoBERTa fixture: reproducibility, cancellation, and errors found before any trial.</summary>
public class DeltaLoRAExperimentTests
{
    private static DeltaLoRASearchSpace SmallSpace => new()
    {
        AdapterLearningRate = new(1e-3, 3e-2),
        FullLearningRate = new(1e-4, 1e-3),
        Ranks = [2, 4],
        Epochs = new(1, 1),
    };

    [SharedFact]
    public void The_same_seed_gives_the_same_trials_and_the_same_best_model()
    {
        (IReadOnlyList<SweepTrial> Trials, int[][] Scores) Sweep()
        {
            var ml = new MLContext(seed: 1);
            var (train, eval) = KeyedSst2(ml);
            using var result = new DeltaLoRAExperiment(ml, BaseOptions())
                .SetSearchSpace(SmallSpace).SetValidationFraction(0.25).SetMaxTrials(4).SetSeed(11).Run(train);
            return (result.Trials, Bits(ReadScores(result.BestModel.Transform(eval))));
        }

        var first = Sweep();
        var second = Sweep();

        Assert.Equal(4, first.Trials.Count);
        Assert.All(first.Trials, t => Assert.Equal(SweepTrialStatus.Completed, t.Status));
        Assert.Equal(Describe(first.Trials), Describe(second.Trials));
        Assert.Equal(first.Scores, second.Scores);
        // Three rung-0 trials of ⌈n/9⌉ steps (n: a 1-epoch budget), then the best of them again at rung 1 for ⌈n/3⌉ steps.
        Assert.Equal([0, 0, 0, 1], first.Trials.Select(t => t.Rung));
        var ml = new MLContext(seed: 1);
        int trainRows = ReadColumn<uint>(ml.Data.TrainTestSplit(KeyedSst2(ml).Train, 0.25, seed: 11).TrainSet, "Label").Length;
        int fullSteps = (int)Math.Ceiling(trainRows / 16.0);
        Assert.Equal([(fullSteps + 8) / 9, (fullSteps + 8) / 9, (fullSteps + 8) / 9, (fullSteps + 2) / 3], first.Trials.Select(t => t.Steps));
        Assert.All(first.Trials, t => Assert.Equal(t.Steps, t.Options.MaxSteps));
        var rungZero = first.Trials.Take(3).ToArray();
        Assert.Equal(rungZero.MaxBy(t => t.Metric)!.Configuration, first.Trials[3].Configuration);
    }

    [SharedTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Cancellation_stops_the_trial_in_flight_and_throws_without_a_model(bool byMLContext)
    {
        var ml = new MLContext(seed: 1);
        var (train, eval) = KeyedSst2(ml);
        using var cancellation = new CancellationTokenSource();
        var progress = new TimedSweepProgress(report =>
        {
            if (report.Step is not { Step: 1 }) return;
            if (byMLContext) CancelExecution(ml);
            else cancellation.Cancel();
        });
        var experiment = new DeltaLoRAExperiment(ml, BaseOptions()).SetValidationData(eval).SetSearchSpace(SmallSpace)
            .SetMaxTrials(3).SetSeed(1).SetProgress(progress);

        Assert.ThrowsAny<OperationCanceledException>(() => experiment.Run(train, cancellation.Token));
        Assert.Single(progress.Reports, r => r.Report.Step is not null);
    }

    /// <summary>MLContext.CancelExecution is internal in ML.NET 5 (AutoML calls it).</summary>
    private static void CancelExecution(MLContext ml)
        => typeof(MLContext).GetMethod("CancelExecution", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)!.Invoke(ml, null);

    [SharedFact]
    public void A_run_whose_training_loss_turns_non_finite_stops_after_that_step_and_fails()
    {
        // lr 1e25: after the first steps B·A overflows float32; the loss is NaN from step 3 on (measured: steps 1 and 2 finite).
        var ml = new MLContext(seed: 1);
        var (train, eval) = KeyedSst2(ml);
        var space = new DeltaLoRASearchSpace { Methods = [FineTuningMethod.LoRA], AdapterLearningRate = new(1e25, 1e25), Ranks = [4], Epochs = new(1, 1) };
        var progress = new TimedSweepProgress();
        var experiment = new DeltaLoRAExperiment(ml, BaseOptions()).SetValidationData(eval).SetSearchSpace(space)
            .SetSuccessiveHalving(reductionFactor: 3, rungCount: 1).SetMaxTrials(1).SetSeed(1).SetProgress(progress);

        var error = Assert.Throws<InvalidOperationException>(() => experiment.Run(train));

        var losses = progress.Reports.Where(r => r.Report.Step is not null).Select(r => r.Report.Step!.Loss).ToArray();
        var trial = progress.Reports[^1].Report.Trial;
        Assert.Equal(SweepTrialStatus.Failed, trial.Status);
        // The trainer stops at the first non-finite loss (TrainingDivergedException) before reporting that step.
        Assert.True(losses.Length < trial.Steps, $"{losses.Length} of {trial.Steps} steps ran");
        Assert.All(losses, loss => Assert.True(double.IsFinite(loss)));
        Assert.Contains($"diverged at optimizer step {losses.Length + 1}", trial.FailureReason);
        Assert.Contains("All 1 trials failed", error.Message);
        Assert.Contains(trial.FailureReason!, error.Message);
    }

    [SharedFact]
    public void A_regression_sweep_scores_its_trials_by_R_squared_of_the_validation_rows()
    {
        var ml = new MLContext(seed: 1);
        var loader = StsbLoader(ml);
        var (train, eval) = (loader.Load(StsbTrain), loader.Load(StsbEval));
        var options = BaseOptions();
        options.Sentence2ColumnName = "Sentence2";
        using var result = new DeltaLoRAExperiment(ml, options).SetMetric(SweepMetric.RSquared).SetValidationData(eval)
            .SetSearchSpace(SmallSpace).SetMaxTrials(2).SetSeed(3).Run(train);

        Assert.Equal(ml.Regression.Evaluate(result.BestModel.Transform(eval)).RSquared, result.BestTrial.Metric!.Value, 12);
        Assert.Equal(result.Trials.Where(t => t.Status == SweepTrialStatus.Completed).Max(t => t.Metric), result.BestTrial.Metric);
    }

    [SharedFact]
    public void A_missing_column_or_budget_is_reported_before_any_trial()
    {
        var ml = new MLContext(seed: 1);
        var (train, _) = KeyedSst2(ml);
        var options = BaseOptions();
        options.Sentence1ColumnName = "Review";
        var missingColumn = Assert.ThrowsAny<Exception>(() => new DeltaLoRAExperiment(ml, options).SetMaxTrials(1).Run(train));
        Assert.Contains("'Review'", missingColumn.Message);

        var noBudget = Assert.Throws<InvalidOperationException>(() => new DeltaLoRAExperiment(ml, BaseOptions()).Run(train));
        Assert.Contains(nameof(DeltaLoRAExperiment.SetMaxSeconds), noBudget.Message);
    }

    [SharedFact]
    public void Default_search_spaces_follow_the_model_family()
    {
        var roberta = DeltaLoRASearchSpace.ForModel(RobertaFolder);
        var useLite = DeltaLoRASearchSpace.ForModelFamily(Microsoft.ML.DeltaLoRA.Architectures.ModelFamily.UseLite);
        Assert.Equal(roberta.AdapterLearningRate, DeltaLoRASearchSpace.ForModelFamily(Microsoft.ML.DeltaLoRA.Architectures.ModelFamily.Bert).AdapterLearningRate);
        Assert.True(useLite.AdapterLearningRate.Min > roberta.AdapterLearningRate.Min && useLite.AdapterLearningRate.Max > roberta.AdapterLearningRate.Max);
        Assert.True(roberta.FullLearningRate.Max < roberta.AdapterLearningRate.Max);
        roberta.Validate();
        useLite.Validate();
    }

    private static string[] Describe(IEnumerable<SweepTrial> trials)
        => trials.Select(t => FormattableString.Invariant($"{t.Number} {t.Configuration} r{t.Rung} {t.Steps} {t.Status} {t.Metric:R} seed {t.Options.Seed} K {t.Options.StartSteps} lr {t.Options.LearningRate:R}")).ToArray();
}
