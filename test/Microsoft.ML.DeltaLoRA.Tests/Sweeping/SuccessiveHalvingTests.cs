using Microsoft.ML.DeltaLoRA.Sweeping;
namespace Microsoft.ML.DeltaLoRA.Tests.Sweeping;

/// <summary>The scheduler and the sampler on their own: Li et al.'s promotion rule, rung budgets, the Halton sequence.</summary>
public class SuccessiveHalvingTests
{
    private static SweepConfiguration Configuration(int id) => new(id, FineTuningMethod.LoRA, 1e-3, 8, 0.5, 0.1, 1);

    private static SweepTrial Trial(int number, int configuration, int rung, double? metric, SweepTrialStatus status = SweepTrialStatus.Completed)
        => new(number, Configuration(configuration), rung, 1, new DeltaLoRAOptions(), status, metric, 1.0);

    [Fact]
    public void A_configuration_is_promoted_once_it_is_in_the_top_third_of_its_rung()
    {
        var halving = new SuccessiveHalving(reductionFactor: 3, rungCount: 3);
        var trials = new List<SweepTrial> { Trial(1, 1, 0, 0.6), Trial(2, 2, 0, 0.9) };
        Assert.Null(halving.NextPromotion(trials, SweepMetric.MicroAccuracy)); // ⌊2/3⌋ = 0 may move up

        trials.Add(Trial(3, 3, 0, 0.7));
        Assert.Equal((Configuration(2), 1), halving.NextPromotion(trials, SweepMetric.MicroAccuracy));

        trials.Add(Trial(4, 2, 1, 0.95));
        Assert.Null(halving.NextPromotion(trials, SweepMetric.MicroAccuracy)); // configuration 2 already moved up; ⌊1/3⌋ = 0 at rung 1

        trials.AddRange([Trial(5, 4, 0, 0.1), Trial(6, 5, 0, 0.2), Trial(7, 6, 0, 0.8)]);
        Assert.Equal((Configuration(6), 1), halving.NextPromotion(trials, SweepMetric.MicroAccuracy)); // top ⌊6/3⌋ = 2: 0.9 (done), 0.8
    }

    [Fact]
    public void Lower_is_better_for_losses_and_failed_trials_count_but_never_move_up()
    {
        var halving = new SuccessiveHalving(reductionFactor: 2, rungCount: 2);
        var trials = new List<SweepTrial>
        {
            Trial(1, 1, 0, null, SweepTrialStatus.Failed), Trial(2, 2, 0, 0.7), Trial(3, 3, 0, 0.3), Trial(4, 4, 0, null, SweepTrialStatus.Failed),
        };
        Assert.Equal((Configuration(3), 1), halving.NextPromotion(trials, SweepMetric.LogLoss));
        trials.Add(Trial(5, 3, 1, 0.2));
        Assert.Equal((Configuration(2), 1), halving.NextPromotion(trials, SweepMetric.LogLoss));
    }

    [Fact]
    public void The_best_trial_is_the_best_of_the_highest_rung_reached()
    {
        var trials = new[] { Trial(1, 1, 0, 0.95), Trial(2, 2, 0, 0.8), Trial(3, 2, 1, 0.85), Trial(4, 3, 1, 0.9), Trial(5, 4, 2, 0.5, SweepTrialStatus.Failed) };
        Assert.Equal(4, SuccessiveHalving.Best(trials, SweepMetric.MicroAccuracy)!.Number);
        Assert.Equal(3, SuccessiveHalving.Best(trials, SweepMetric.LogLoss)!.Number);
        Assert.Null(SuccessiveHalving.Best([Trial(1, 1, 0, null, SweepTrialStatus.Failed)], SweepMetric.MicroAccuracy));
    }

    [Theory]
    [InlineData(0, 90, 10)]
    [InlineData(1, 90, 30)]
    [InlineData(2, 90, 90)]
    [InlineData(0, 10, 2)]
    [InlineData(0, 1, 1)]
    public void Rung_k_of_three_trains_one_ninth_one_third_then_all_of_the_steps(int rung, int fullSteps, int expected)
        => Assert.Equal(expected, new SuccessiveHalving(3, 3).StepsAt(rung, fullSteps));

    [Fact]
    public void Halton_coordinates_are_radical_inverses_in_prime_bases()
    {
        // van der Corput in base 2: 1 → 0.1₂, 2 → 0.01₂, 3 → 0.11₂, 6 → 0.011₂; base 3: 5 = 12₃ → 0.21₃ = 7/9.
        Assert.Equal([0.5, 0.25, 0.75, 0.375], new[] { 1, 2, 3, 6 }.Select(i => HaltonSequence.RadicalInverse(i, 2)));
        Assert.Equal(7.0 / 9, HaltonSequence.RadicalInverse(5, 3), 15);

        // The seeded shift moves every point by the same amount modulo 1 in each dimension.
        var a = new HaltonSequence(3, seed: 7);
        var shift = a.Point(1).Zip(new[] { 0.5, 1.0 / 3, 0.2 }, (p, h) => p - h).ToArray();
        var expected = new[] { 2, 3, 5 }.Select((radix, d) => Frac(HaltonSequence.RadicalInverse(4, radix) + shift[d]));
        Assert.Equal(expected.ToArray(), a.Point(4), new Tolerance(1e-12));
        Assert.Equal(a.Point(9), new HaltonSequence(3, seed: 7).Point(9));
        Assert.NotEqual(a.Point(9), new HaltonSequence(3, seed: 8).Point(9));
    }

    [Fact]
    public void Sampled_configurations_stay_in_the_search_space_and_cover_every_choice()
    {
        var space = new DeltaLoRASearchSpace { AdapterLearningRate = new(1e-4, 1e-2), FullLearningRate = new(1e-6, 1e-5), Ranks = [2, 4], Epochs = new(1, 2) };
        var sampler = new ConfigurationSampler(space, seed: 3);
        var drawn = Enumerable.Range(0, 60).Select(_ => sampler.Next()).ToArray();

        Assert.Equal(Enumerable.Range(1, 60), drawn.Select(c => c.Id));
        Assert.All(drawn, c => Assert.InRange(c.LearningRate, space.LearningRateFor(c.Method).Min, space.LearningRateFor(c.Method).Max));
        Assert.All(drawn, c => Assert.InRange(c.UpdateRatio, 0.25, 1.0));
        Assert.All(drawn, c => Assert.InRange(c.StartStepsFraction, 0.0, 0.25));
        Assert.Equal(new[] { FineTuningMethod.DeltaLoRA, FineTuningMethod.LoRA, FineTuningMethod.Full }, drawn.Select(c => c.Method).Distinct().Order());
        Assert.Equal(new[] { 2, 4 }, drawn.Select(c => c.Rank).Distinct().Order());
        Assert.Equal(new[] { 1, 2 }, drawn.Select(c => c.Epochs).Distinct().Order());
        // Log scale: about half of the adapter learning rates fall below the geometric middle, 1e-3.
        var adapters = drawn.Where(c => c.Method != FineTuningMethod.Full).ToArray();
        Assert.InRange(adapters.Count(c => c.LearningRate < 1e-3) / (double)adapters.Length, 0.35, 0.65);
    }

    [Fact]
    public void Invalid_ranges_are_rejected_by_name()
    {
        Assert.Equal("AdapterLearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new DeltaLoRASearchSpace { AdapterLearningRate = new(0, 1) }.Validate()).ParamName);
        Assert.Equal("Ranks", Assert.Throws<ArgumentOutOfRangeException>(() => new DeltaLoRASearchSpace { Ranks = [] }.Validate()).ParamName);
        Assert.Equal("StartStepsFraction", Assert.Throws<ArgumentOutOfRangeException>(() => new DeltaLoRASearchSpace { StartStepsFraction = new(0, 2) }.Validate()).ParamName);
        Assert.Equal("Epochs", Assert.Throws<ArgumentOutOfRangeException>(() => new DeltaLoRASearchSpace { Epochs = new(2, 1) }.Validate()).ParamName);
    }

    private static double Frac(double x) => x - Math.Floor(x);

    private sealed class Tolerance(double epsilon) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= epsilon;
        public int GetHashCode(double obj) => 0;
    }
}
