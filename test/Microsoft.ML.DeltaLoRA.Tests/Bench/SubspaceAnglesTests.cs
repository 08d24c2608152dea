using DeltaLoRA.Bench.Angles;
using DeltaLoRA.Bench.Spectrum;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Tests.Bench;

/// <summary>
/// The principal-angle measurement checked against identities of linear algebra, on matrices built so that the answer is known:
/// a space against itself (0°), orthogonal spaces (90°), planes tilted by known angles, the same spaces under other bases or
/// other factorizations of one product, a scaled product (its norm ratio is the scale), and the mean cos² of random subspaces
/// (E‖Q1ᵀQ2‖²_F = pq/n, from E[Q2Q2ᵀ] = (q/n)·I for a uniformly random q-dimensional space).
/// </summary>
public class SubspaceAnglesTests
{
    private const double Tolerance = 1e-3; // WeightChange's numerical rank: σ above 1e-3 × σ_1

    [Fact]
    public void A_subspace_against_itself_has_every_angle_zero()
    {
        using var scope = torch.NewDisposeScope();
        var matrix = Gaussian(12, 4, seed: 1);
        var basis = SubspaceAngles.ColumnBasis(matrix, Tolerance);
        var angles = SubspaceAngles.Degrees(basis, basis);
        Assert.Equal(4, angles.Length);
        Assert.All(angles, a => Assert.InRange(a, 0, 1e-4));
    }

    [Fact]
    public void Orthogonal_subspaces_have_every_angle_ninety_degrees()
    {
        using var scope = torch.NewDisposeScope();
        var angles = SubspaceAngles.Degrees(Columns(6, [Unit(6, 0), Unit(6, 1)]), Columns(6, [Unit(6, 2), Unit(6, 3), Unit(6, 4)]));
        Assert.Equal(2, angles.Length); // min(p, q)
        Assert.All(angles, a => Assert.Equal(90, a, 6));
    }

    [Fact]
    public void Planes_tilted_by_known_angles_give_those_angles_smallest_first()
    {
        // span{e0, e1} against span{cos a·e0 + sin a·e2, cos b·e1 + sin b·e3}: the principal angles are a and b.
        const double a = 55, b = 20;
        using var scope = torch.NewDisposeScope();
        var tilted = Columns(5, [Tilt(5, 0, 2, a), Tilt(5, 1, 3, b)]);
        var angles = SubspaceAngles.Degrees(Columns(5, [Unit(5, 0), Unit(5, 1)]), tilted);
        Assert.Equal([b, a], angles.Select(x => Math.Round(x, 6)).ToArray());

        // One line against that plane: the angle to its nearest direction.
        var line = SubspaceAngles.Degrees(Columns(5, [Unit(5, 1)]), tilted);
        Assert.Equal(b, Assert.Single(line), 6);
    }

    [Fact]
    public void Angles_depend_on_the_spaces_not_on_the_bases_or_factors_chosen()
    {
        using var scope = torch.NewDisposeScope();
        var m1 = Gaussian(20, 3, seed: 2);
        var m2 = Gaussian(20, 5, seed: 3);
        var mixed1 = m1.matmul(Gaussian(3, 3, seed: 4)); // the same column space, another basis (a Gaussian 3×3 is invertible)
        var mixed2 = m2.matmul(Gaussian(5, 5, seed: 5));
        var direct = SubspaceAngles.Degrees(SubspaceAngles.ColumnBasis(m1, Tolerance), SubspaceAngles.ColumnBasis(m2, Tolerance));
        var other = SubspaceAngles.Degrees(SubspaceAngles.ColumnBasis(mixed1, Tolerance), SubspaceAngles.ColumnBasis(mixed2, Tolerance));
        Assert.Equal(3, direct.Length);
        for (int i = 0; i < direct.Length; i++) Assert.Equal(direct[i], other[i], 6);
        var swapped = SubspaceAngles.Degrees(SubspaceAngles.ColumnBasis(m2, Tolerance), SubspaceAngles.ColumnBasis(m1, Tolerance)); // and symmetric
        for (int i = 0; i < direct.Length; i++) Assert.Equal(direct[i], swapped[i], 6);

        // ΔW = L·R and (L·G)·(G⁻¹·R) are one change: angles 0, norms equal, cosine 1, all of it in the other's columns.
        var left = Gaussian(16, 4, seed: 6);
        var right = Gaussian(4, 10, seed: 7);
        var g = Gaussian(4, 4, seed: 8);
        var comparison = ChangeComparison.Between(Change(left, right), Change(left.matmul(g), torch.linalg.inv(g).matmul(right)), topRank: 2);
        Assert.Equal((4, 4), comparison.ColumnDimensions);
        Assert.All(comparison.ColumnAngles, a => Assert.InRange(a, 0, 1e-2));
        Assert.All(comparison.TopAngles, a => Assert.InRange(a, 0, 1e-2));
        Assert.Equal(2, comparison.TopAngles.Length);
        Assert.Equal(1, comparison.NormRatio, 5);
        Assert.Equal(1, comparison.Cosine, 5);
        Assert.Equal(1, comparison.EnergyInSecond, 5);
    }

    [Theory]
    [InlineData(1.5)]
    [InlineData(0.25)]
    public void A_scaled_product_has_the_scale_as_its_norm_ratio_and_the_same_directions(double scale)
    {
        using var scope = torch.NewDisposeScope();
        var left = Gaussian(24, 3, seed: 9);
        var right = Gaussian(3, 16, seed: 10);
        using var s = scale.ToScalar();
        var comparison = ChangeComparison.Between(Change(left.mul(s), right), Change(left, right), topRank: 3);
        Assert.Equal(scale, comparison.NormRatio, 5);
        Assert.Equal(1, comparison.Cosine, 6);
        Assert.Equal(1, comparison.EnergyInSecond, 6);
        Assert.All(comparison.ColumnAngles, a => Assert.InRange(a, 0, 1e-2));
        Assert.InRange(comparison.LeadingAngle, 0, 1e-2);
        // ‖L·R‖_F computed independently, element by element in float64.
        var product = left.matmul(right).data<double>().ToArray();
        Assert.Equal(Math.Sqrt(product.Sum(v => v * v)), comparison.SecondNorm, 4);
    }

    [Fact]
    public void Directions_below_the_numerical_rank_threshold_are_not_part_of_the_column_space()
    {
        // ΔW₁ = 3·e0·f0ᵀ + 0.001·e1·f1ᵀ: its second singular value is 1/3000 of the first, below the numerical-rank threshold
        // (1e-3), so its column space is span{e0}. ΔW₂ = 2·e0·f2ᵀ + 1·e2·f3ᵀ has span{e0, e2}: one angle, 0°; cosine 0 (the
        // row directions differ); and ΔW₁'s energy inside span{e0, e2} is 9 of 9 + 1e-6.
        using var scope = torch.NewDisposeScope();
        var w1 = Sparse(6, 5, (0, 0, 3.0), (1, 1, 0.001));
        var w2 = Sparse(6, 5, (0, 2, 2.0), (2, 3, 1.0));
        var identity = torch.eye(5, dtype: ScalarType.Float64);
        var comparison = ChangeComparison.Between(Change(w1, identity), Change(w2, identity), topRank: 1);
        Assert.Equal((1, 2), comparison.ColumnDimensions);
        Assert.Equal(0, Assert.Single(comparison.ColumnAngles), 6);
        Assert.Equal(0, comparison.LeadingAngle, 6); // both lead along e0
        Assert.Equal(0, comparison.Cosine, 9);
        Assert.Equal(9 / (9 + 1e-6), comparison.EnergyInSecond, 6);
        Assert.Equal(Math.Sqrt(9 + 1e-6) / Math.Sqrt(5), comparison.NormRatio, 6);
    }

    [Fact]
    public void The_leading_directions_angle_is_that_between_the_largest_singular_vectors()
    {
        // ΔW₁ = 2·e0·f0ᵀ + 0.5·e3·f1ᵀ leads along e0; ΔW₂ = 5·(cos 30°·e0 + sin 30°·e1)·f2ᵀ + 1·e2·f3ᵀ leads 30° away from it.
        using var scope = torch.NewDisposeScope();
        var w1 = Sparse(6, 5, (0, 0, 2.0), (3, 1, 0.5));
        var w2 = Sparse(6, 5, (0, 2, 5 * Math.Cos(Math.PI / 6)), (1, 2, 5 * Math.Sin(Math.PI / 6)), (2, 3, 1.0));
        var identity = torch.eye(5, dtype: ScalarType.Float64);
        var comparison = ChangeComparison.Between(Change(w1, identity), Change(w2, identity), topRank: 2);
        Assert.Equal(30, comparison.LeadingAngle, 4);
        Assert.Equal((2, 2), comparison.ColumnDimensions);
        // span{e0, e3} against span{cos 30°·e0 + sin 30°·e1, e2}: 30° and 90°.
        Assert.Equal(30, comparison.ColumnAngles[0], 4);
        Assert.Equal(90, comparison.ColumnAngles[1], 4);
    }

    [Theory]
    [InlineData(60, 3, 5)]
    [InlineData(384, 8, 8)]
    [InlineData(384, 16, 8)]
    public void Random_subspaces_have_mean_squared_cosine_max_p_q_over_n(int n, int p, int q)
    {
        var summary = RandomSubspaces.Sample(n, p, q, draws: 300, seed: 11);
        double expected = SubspaceAngles.RandomMeanSquaredCosine(n, p, q);
        Assert.Equal((double)Math.Max(p, q) / n, expected, 12);
        Assert.InRange(summary.MeanSquaredCosine, 0.9 * expected, 1.1 * expected);
        Assert.True(summary.Smallest <= summary.Median && summary.Median <= summary.Largest);
        Assert.InRange(summary.Largest, 0, 90);
    }

    private static Tensor Gaussian(long rows, long columns, long seed)
    {
        using var generator = new torch.Generator((ulong)seed);
        return torch.randn([rows, columns], ScalarType.Float64, generator: generator);
    }

    /// <summary>A rows × columns float64 matrix, zero except at the given (row, column, value) entries.</summary>
    private static Tensor Sparse(int rows, int columns, params (int Row, int Column, double Value)[] entries)
    {
        var values = new double[rows * columns];
        foreach (var (row, column, value) in entries) values[row * columns + column] = value;
        return torch.tensor(values, [rows, columns], ScalarType.Float64);
    }

    private static double[] Unit(int n, int i)
    {
        var v = new double[n];
        v[i] = 1;
        return v;
    }

    private static double[] Tilt(int n, int from, int toward, double degrees)
    {
        var v = new double[n];
        v[from] = Math.Cos(degrees * Math.PI / 180);
        v[toward] = Math.Sin(degrees * Math.PI / 180);
        return v;
    }

    /// <summary>The n × k matrix whose columns are <paramref name="columns"/>.</summary>
    private static Tensor Columns(int n, double[][] columns)
        => torch.tensor(columns.SelectMany(c => c).ToArray(), [columns.Length, n], ScalarType.Float64).t();

    private static LowRankChange Change(Tensor left, Tensor right) => new(Float32(left), Float32(right));

    private static Float32Tensor Float32(Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        return new Float32Tensor(t.shape.ToArray(), t.to(ScalarType.Float32).contiguous().data<float>().ToArray());
    }
}
