using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Metrics;
using DeltaLoRA.Bench.Reporting;
using DeltaLoRA.Bench.Study;

namespace Microsoft.ML.DeltaLoRA.Tests.Bench;

/// <summary>
/// The study's comparison statistics against references that do not come from this code: closed forms of the t distribution
/// (1 and 2 degrees of freedom), t-table critical values, the normal limit, and R's documented t.test output on Student's
/// sleep data (datasets::sleep, Cushny and Peebles 1905).
/// </summary>
public class PairedStatisticsTests
{
    // datasets::sleep: extra hours of sleep of the same 10 patients under drug 1 and drug 2.
    private static readonly double[] Drug1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
    private static readonly double[] Drug2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    [InlineData(1.0)]
    [InlineData(-2.5)]
    [InlineData(12.706)]
    public void The_cdf_matches_the_closed_forms_for_one_and_two_degrees_of_freedom(double t)
    {
        Assert.Equal(0.5 + Math.Atan(t) / Math.PI, StudentT.Cdf(t, 1), 12); // Cauchy
        Assert.Equal(0.5 + t / (2 * Math.Sqrt(t * t + 2)), StudentT.Cdf(t, 2), 12);
    }

    [Theory] // two-sided 5% and 1% critical values, as a t-table prints them (3 decimals)
    [InlineData(1, 12.706, 0.05)]
    [InlineData(2, 4.303, 0.05)]
    [InlineData(5, 2.571, 0.05)]
    [InlineData(10, 2.228, 0.05)]
    [InlineData(30, 2.042, 0.05)]
    [InlineData(2, 9.925, 0.01)]
    [InlineData(9, 3.250, 0.01)]
    public void The_tail_and_the_quantile_agree_with_a_t_table(int degrees, double critical, double twoSided)
    {
        Assert.Equal(twoSided, StudentT.TwoSidedTail(critical, degrees), 3);
        Assert.Equal(critical, StudentT.Quantile(1 - twoSided / 2, degrees), 0.0005 + 1e-9); // the table rounds to 3 decimals
        Assert.Equal(twoSided, StudentT.TwoSidedTail(-critical, degrees), 3);
    }

    [Fact]
    public void Many_degrees_of_freedom_approach_the_normal_and_bad_arguments_are_refused()
    {
        Assert.Equal(0.975, StudentT.Cdf(1.959964, 1e7), 6);
        Assert.Equal(1.0, StudentT.TwoSidedTail(0, 4), 12);
        Assert.Equal(0.0, StudentT.TwoSidedTail(double.PositiveInfinity, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => StudentT.TwoSidedTail(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => StudentT.Quantile(1, 3));
    }

    [Fact]
    public void The_incomplete_beta_and_log_gamma_match_their_identities()
    {
        Assert.Equal(0.3, StudentT.RegularizedIncompleteBeta(1, 1, 0.3), 13); // uniform
        Assert.Equal(Math.Pow(0.7, 3.5), StudentT.RegularizedIncompleteBeta(3.5, 1, 0.7), 13); // I_x(a, 1) = x^a
        Assert.Equal(1 - Math.Pow(1 - 0.2, 4), StudentT.RegularizedIncompleteBeta(1, 4, 0.2), 13); // I_x(1, b) = 1 − (1 − x)^b
        Assert.Equal(Math.Log(24), StudentT.LogGamma(5), 12);
        Assert.Equal(0.5 * Math.Log(Math.PI), StudentT.LogGamma(0.5), 12);
    }

    [Fact]
    public void The_paired_t_on_the_sleep_data_is_what_R_prints()
    {
        // R: t.test(Drug2, Drug1, paired = TRUE) → t = 4.0621, df = 9, p-value = 0.002833,
        // 95 percent confidence interval 0.7001142 2.4598858, mean difference 1.58.
        var paired = PairedComparison.Of(Drug2.Zip(Drug1).ToArray());
        Assert.Equal(10, paired.Pairs);
        Assert.Equal(1.58, paired.MeanDifference, 12);
        Assert.Equal(4.0621, paired.T, 4);
        Assert.Equal(0.002833, paired.P, 6);
        Assert.Equal(0.7001142, paired.Low95, 6);
        Assert.Equal(2.4598858, paired.High95, 6);
        // Sign test: drug 2 ahead for 9 patients, 1 tie (−0.1 both), none behind: p = 2 · (½)⁹ = 0.0039.
        Assert.Equal((9, 0, 1), (paired.Wins, paired.Losses, paired.Ties));
        Assert.Equal(2 / 512.0, paired.SignP, 12);
    }

    [Fact]
    public void Welch_on_the_sleep_data_is_what_R_prints_and_much_weaker_than_the_paired_t()
    {
        // R: t.test(Drug2, Drug1) → t = 1.8608, df = 17.776, p-value = 0.07939.
        var welch = WelchComparison.Of(Drug2, Drug1);
        Assert.Equal(1.8608, welch.T, 4);
        Assert.Equal(17.776, welch.DegreesOfFreedom, 3);
        Assert.Equal(0.07939, welch.P, 5);
        Assert.True(double.IsNaN(WelchComparison.Of([1.0], [2.0, 3.0]).T));
    }

    [Theory] // exact binomial tails: 2 · Σ_{i≤k} C(n, i) / 2ⁿ, capped at 1
    [InlineData(3, 0, 0.25)]
    [InlineData(8, 2, 0.109375)] // 2 · (1 + 10 + 45) / 1024
    [InlineData(2, 2, 1.0)]
    [InlineData(1, 4, 0.375)] // 2 · (1 + 5) / 32
    public void The_sign_test_is_the_exact_binomial_tail(int wins, int losses, double p)
        => Assert.Equal(p, PairedComparison.SignTestTwoSided(wins, losses), 12);

    [Fact]
    public void A_sign_test_of_tied_pairs_only_has_no_p()
    {
        Assert.True(double.IsNaN(PairedComparison.SignTestTwoSided(0, 0)));
        Assert.Equal("0/0 (1 tied), p —", PairedComparison.Of([(0.8, 0.8)]).SignText());
        Assert.Equal("1/0 (1 tied), p 1.00", PairedComparison.Of([(0.9, 0.8), (0.7, 0.7)]).SignText());
    }

    [Fact]
    public void Pairing_joins_by_seed_counts_the_unpaired_and_refuses_a_repeated_seed()
    {
        var pairs = PairedComparison.BySeed([(3, 0.9), (1, 0.8), (4, 0.7)], [(1, 0.6), (2, 0.5), (3, 0.4)], out int unpaired);
        Assert.Equal([(0.8, 0.6), (0.9, 0.4)], pairs);
        Assert.Equal(2, unpaired); // seed 4 on one side, seed 2 on the other
        var error = Assert.Throws<InvalidDataException>(() => PairedComparison.BySeed([(1, 0.8), (1, 0.9)], [(1, 0.6)], out _));
        Assert.Contains("Seed 1", error.Message);
        var single = PairedComparison.Of([(0.8, 0.6)]);
        Assert.True(double.IsNaN(single.T) && double.IsNaN(single.Low95));
        Assert.Equal(0.2, single.MeanDifference, 12);
    }

    private static RunRecord Final(GlueTask task, StudyMethod method, double lr, int seed, double accuracy) =>
        new(new RunSpec(task, method, RunPhase.Final, lr, seed, method == StudyMethod.DeltaLoRA ? 0.5 : 0, null, 100, 900, 100, 400, "", "minilm"),
            0.5, new TaskScores(Accuracy: accuracy), 6, 1, 1);

    [Fact]
    public void The_report_table_pairs_each_task_by_seed_and_says_where_it_cannot()
    {
        RunRecord[] records =
        [
            // SST-2: differences 0.12, 0.24, 0.13 seed by seed.
            Final(GlueTask.Sst2, StudyMethod.LoRA, 2e-3, 1, 0.07), Final(GlueTask.Sst2, StudyMethod.LoRA, 2e-3, 2, -0.16 + 0.5), Final(GlueTask.Sst2, StudyMethod.LoRA, 2e-3, 3, 0.48),
            Final(GlueTask.Sst2, StudyMethod.DeltaLoRA, 1e-3, 1, 0.19), Final(GlueTask.Sst2, StudyMethod.DeltaLoRA, 1e-3, 2, 0.08 + 0.5), Final(GlueTask.Sst2, StudyMethod.DeltaLoRA, 1e-3, 3, 0.61),
            // MRPC: different seeds on the two sides.
            Final(GlueTask.Mrpc, StudyMethod.LoRA, 1e-3, 1, 0.7), Final(GlueTask.Mrpc, StudyMethod.DeltaLoRA, 1e-3, 2, 0.8),
            // CoLA: two LoRA configurations in one file.
            Final(GlueTask.Cola, StudyMethod.LoRA, 1e-3, 1, 0.1), Final(GlueTask.Cola, StudyMethod.LoRA, 2e-3, 1, 0.2), Final(GlueTask.Cola, StudyMethod.DeltaLoRA, 1e-3, 1, 0.3),
            // RTE: LoRA only.
            Final(GlueTask.Rte, StudyMethod.LoRA, 1e-3, 1, 0.5),
        ];
        var rows = PairedMarkdown.Rows(records, GlueTask.All, null);
        Assert.Equal([GlueTask.Sst2, GlueTask.Mrpc, GlueTask.Cola], rows.Select(r => r.Task));

        var sst2 = rows[0].Paired!;
        Assert.Equal((0.12 + 0.24 + 0.13) / 3, sst2.MeanDifference, 12);
        Assert.Equal((3, 0), (sst2.Wins, sst2.Losses));
        Assert.Equal(0.25, sst2.SignP, 12);
        Assert.Null(rows[1].Paired);
        Assert.Equal(2, rows[1].Unpaired);
        Assert.Contains("no seed in common", rows[1].Problem);
        Assert.Null(rows[2].Paired);
        Assert.Contains("more than one final run per seed", rows[2].Problem);

        string markdown = PairedMarkdown.Render(records, GlueTask.All, null);
        Assert.Contains(PairedMarkdown.Heading, markdown);
        Assert.Contains("| sst2 | 2e-3 | 1e-3 | 3 | +16.33 [", markdown);
        Assert.Contains("3/0, p 0.25", markdown);
        Assert.Equal("", PairedMarkdown.Render(records.Where(r => r.Spec.Task == GlueTask.Rte), GlueTask.All, null));
    }
}
