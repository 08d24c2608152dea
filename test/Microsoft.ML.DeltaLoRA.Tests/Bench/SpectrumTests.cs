using System.Globalization;
using DeltaLoRA.Bench;
using DeltaLoRA.Bench.Spectrum;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;

namespace Microsoft.ML.DeltaLoRA.Tests.Bench;

/// <summary>
/// The spectrum measurement checked against facts that do not come from our own output: the singular values of a matrix
/// built from known rank-one parts, and the rank bounds that follow from the update rules. LoRA's W_eff − W_0 = s·B_T·A_T has
/// rank ≤ r; Delta-LoRA's = s·B_T·A_T + λ·s·(B_T·A_T − B_K·A_K) (telescoping sum of the W updates) has rank ≤ 2r, and more
/// than r when B_K ≠ 0 (K = 4 here, so that B_K has moved well away from its zero start; with K = 0, B_K·A_K would be 0 and
/// the change exactly s·(1 + λ)·B_T·A_T); full fine-tuning's Adam steps have no low-rank structure.
/// </summary>
public class SpectrumTests
{
    private static string BertFolder => HuggingFaceFixtures.ModelFolder("bert", "BertForSequenceClassification");

    [Fact]
    public void Singular_values_of_a_sum_of_orthogonal_rank_one_parts_are_their_weights()
    {
        // ΔW = 3·e0·f1ᵀ + 0.5·e2·f0ᵀ on a 4×3 matrix: singular values 3, 0.5, 0.
        var w0 = new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
        var w1 = (float[])w0.Clone();
        w1[0 * 3 + 1] += 3f;
        w1[2 * 3 + 0] += 0.5f;
        var change = WeightChange.Between(new Float32Tensor([4, 3], w0), new Float32Tensor([4, 3], w1));
        Assert.Equal(3, change.SingularValues.Count);
        Assert.Equal(3, change.SingularValues[0], 5);
        Assert.Equal(0.5, change.SingularValues[1], 5);
        Assert.Equal(0, change.SingularValues[2], 5);
        Assert.Equal(2, change.NumericalRank());
        Assert.Equal(Math.Sqrt(9.25), change.FrobeniusNorm, 5);
    }

    [Theory]
    [InlineData("bert.encoder.layer.3.attention.self.query.weight", 3, "query")]
    [InlineData("encoder.layer.11.attention.self.value.weight", 11, "value")]
    public void Adapted_matrices_are_recognized_by_their_checkpoint_names(string name, int layer, string projection)
    {
        Assert.True(AdaptedMatrix.TryParse(name, out var matrix));
        Assert.Equal(new AdaptedMatrix(layer, projection), matrix);
        Assert.False(AdaptedMatrix.Is(name.Replace(".weight", ".bias", StringComparison.Ordinal)));
        Assert.False(AdaptedMatrix.Is(name.Replace("self.", "output.", StringComparison.Ordinal)));
    }

    [SharedFact]
    public void Weight_change_rank_is_at_most_r_for_LoRA_at_most_2r_for_DeltaLoRA_and_unbounded_for_full_fine_tuning()
    {
        const int rank = 2;
        using var folder = new TemporaryDirectory();
        var log = new StringWriter();
        int exit = BenchCommandLine.Invoke(
            ["spectrum", "--quick", "--model", BertFolder, "--data", SharedData.PathOf("data", "glue"), "--out", folder.Path,
             "--tasks", "sst2", "--rank", rank.ToString(CultureInfo.InvariantCulture), "--steps", "12", "--start-steps", "4", "--lr", "0.01"], log);
        Assert.True(exit == 0, log.ToString());

        // singular-values.csv: run, task, method, lr, seed, steps, layer, projection, index, singular_value
        var rows = File.ReadAllLines(Path.Combine(folder.Path, SingularValueLog.FileName)).Skip(1).Select(l => l.Split(',')).ToArray();
        var spectra = rows.GroupBy(f => (Method: f[^8], Matrix: f[^4] + f[^3]))
            .ToDictionary(g => g.Key, g => g.OrderBy(f => int.Parse(f[^2], CultureInfo.InvariantCulture)).Select(f => double.Parse(f[^1], CultureInfo.InvariantCulture)).ToArray());
        int hidden = 32; // the fixture's hidden size: every query/value matrix is 32×32
        int layers = 3;
        Assert.Equal(3 * layers * 2, spectra.Count);
        Assert.All(spectra.Values, s => Assert.Equal(hidden, s.Length));

        int RankOf(double[] s) => s.Count(v => v > 1e-4 * s[0]);
        var byMethod = spectra.GroupBy(p => p.Key.Method).ToDictionary(g => g.Key, g => g.Select(p => RankOf(p.Value)).ToArray());
        Assert.All(byMethod["LoRA"], r => Assert.InRange(r, 1, rank));
        Assert.All(byMethod["DeltaLoRA"], r => Assert.InRange(r, 1, 2 * rank));
        Assert.Contains(byMethod["DeltaLoRA"], r => r > rank);
        Assert.All(byMethod["Full"], r => Assert.True(r > 2 * rank, $"full fine-tuning's change has rank {r}"));

        Assert.True(File.Exists(Path.Combine(folder.Path, SpectrumReport.MarkdownFileName)));
        foreach (var name in new[] { "spectrum-sst2.png", "spectrum-loss-sst2.png", "spectrum-sst2-DeltaLoRA.png", "spectrum-sst2-LoRA.png", "spectrum-sst2-Full.png" })
            Assert.True(File.Exists(Path.Combine(folder.Path, "plots", name)), name);

        // A second invocation measures nothing again.
        var again = new StringWriter();
        Assert.Equal(0, BenchCommandLine.Invoke(
            ["spectrum", "--quick", "--model", BertFolder, "--data", SharedData.PathOf("data", "glue"), "--out", folder.Path,
             "--tasks", "sst2", "--rank", rank.ToString(CultureInfo.InvariantCulture), "--steps", "12", "--start-steps", "4", "--lr", "0.01"], again));
        Assert.DoesNotContain("starting", again.ToString());
    }
}
