using System.Globalization;
using System.Text;
using DeltaLoRA.Bench.Reporting;

namespace DeltaLoRA.Bench.Angles;

/// <summary>
/// angles.csv (one row per pair and matrix: every principal angle, the norms, the cosine and the energy share) and angles.md
/// (per pair: the means over matrices, each beside what uniformly random subspaces of the same dimensions give; then every matrix).
/// </summary>
internal static class AnglesReport
{
    public const string CsvFileName = "angles.csv";
    public const string MarkdownFileName = "angles.md";
    private const long RandomSeed = 1;
    private static readonly string[] Header = ["pair", "first", "second", "layer", "projection", "n", "p", "q", "r", "column_angles", "top_r_angles",
        "leading_angle", "first_norm", "second_norm", "norm_ratio", "cosine", "energy_in_second"];

    /// <returns>The markdown written to angles.md.</returns>
    public static string Write(IReadOnlyList<ChangePair> pairs, string folder, int randomDraws)
    {
        Directory.CreateDirectory(folder);
        var csv = new StringBuilder(Csv.Line(Header)).Append('\n');
        foreach (var pair in pairs)
            foreach (var (matrix, c) in pair.Matrices)
                csv.Append(Csv.Line([pair.Label, Path.GetFileName(pair.First.Source), Path.GetFileName(pair.Second.Source), Invariant($"{matrix.Layer}"), matrix.Projection,
                    Invariant($"{c.Rows}"), Invariant($"{c.ColumnDimensions.First}"), Invariant($"{c.ColumnDimensions.Second}"), Invariant($"{c.TopRank}"),
                    Angles(c.ColumnAngles, "R"), Angles(c.TopAngles, "R"), Invariant($"{c.LeadingAngle:R}"), Invariant($"{c.FirstNorm:R}"), Invariant($"{c.SecondNorm:R}"), Invariant($"{c.NormRatio:R}"),
                    Invariant($"{c.Cosine:R}"), Invariant($"{c.EnergyInSecond:R}")])).Append('\n');
        var markdown = Render(pairs, randomDraws);
        WriteWhole(Path.Combine(folder, CsvFileName), csv.ToString());
        WriteWhole(Path.Combine(folder, MarkdownFileName), markdown);
        return markdown;
    }

    public static string Render(IReadOnlyList<ChangePair> pairs, int randomDraws)
    {
        var random = new Dictionary<(int N, int P, int Q), AngleSummary>();
        AngleSummary Random(int n, int p, int q)
        {
            var key = (n, Math.Min(p, q), Math.Max(p, q)); // the angles are symmetric in the two spaces
            if (key.Item2 == 0) return AngleSummary.Of([]);
            if (!random.TryGetValue(key, out var summary)) random[key] = summary = RandomSubspaces.Sample(key.Item1, key.Item2, key.Item3, randomDraws, RandomSeed);
            return summary;
        }

        var text = new StringBuilder();
        text.AppendLine("# Principal angles between weight changes").AppendLine();
        text.AppendLine("For each pair of saved models and each adapted matrix, ΔW = W_T − W_0 as the model records it (`Scorer.delta.safetensors`: "
            + "Left·Right, exact). Column space: the left singular vectors of ΔW with σ above 1e-3 × σ_1 (its numerical rank: p for the first "
            + "model, q for the second). Top r: the r largest of them. Principal angles: arccos of the singular values of Q1ᵀ·Q2, smallest first; "
            + "mean cos² = ‖Q1ᵀ·Q2‖²_F / min(p, q), 1 when one space contains the other. Random: the same figures for uniformly random "
            + Invariant($"subspaces of the same dimensions ({randomDraws} draws each; mean cos² is max(p, q)/n in expectation). ")
            + "Leading directions: the angle between the two changes' largest left singular vectors (random: "
            + Invariant($"{RandomLeadingAngle(pairs, randomDraws):0.0}° on average). ")
            + "Cosine: ⟨ΔW₁, ΔW₂⟩_F / (‖ΔW₁‖_F·‖ΔW₂‖_F), 1 when ΔW₁ is ΔW₂ scaled. Energy: the share of ‖ΔW₁‖²_F inside ΔW₂'s column space. "
            + "Each figure is the mean over the matrices, with the range over them in brackets.").AppendLine();

        text.AppendLine("| pair | ‖ΔW₁‖_F / ‖ΔW₂‖_F | cosine | energy of ΔW₁ in ΔW₂'s columns | leading directions ° |");
        text.AppendLine("|---|---|---|---|---|");
        foreach (var pair in pairs)
        {
            var m = pair.Matrices.Values;
            text.AppendLine($"| {pair.Label} | {Range(m.Select(c => c.NormRatio), "0.00")} | {Range(m.Select(c => c.Cosine), "0.00")} | {Range(m.Select(c => c.EnergyInSecond), "0.000")} | {Range(m.Select(c => c.LeadingAngle), "0.0")} |");
        }
        text.AppendLine();

        text.AppendLine("| pair | subspaces | dimensions p, q (n) | smallest angle ° | median ° | largest ° | mean cos² | random: smallest / median / largest °, mean cos² |");
        text.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var pair in pairs)
        {
            var m = pair.Matrices.Values;
            foreach (var (name, angles, dimensions) in new (string, Func<ChangeComparison, double[]>, Func<ChangeComparison, (int, int)>)[]
                     {
                         ("column spaces", c => c.ColumnAngles, c => c.ColumnDimensions),
                         (Invariant($"top r = {m.First().TopRank}"), c => c.TopAngles, c => (Math.Min(c.TopRank, c.ColumnDimensions.First), Math.Min(c.TopRank, c.ColumnDimensions.Second))),
                     })
            {
                var summaries = m.Select(c => AngleSummary.Of(angles(c))).ToArray();
                var reference = AngleSummary.Mean(m.Select(c =>
                {
                    var (p, q) = dimensions(c);
                    return Random(c.Rows, p, q);
                }).ToArray());
                var ps = m.Select(c => dimensions(c).Item1).ToArray();
                var qs = m.Select(c => dimensions(c).Item2).ToArray();
                text.AppendLine($"| {pair.Label} | {name} | {Span(ps)}, {Span(qs)} ({m.First().Rows}) | {Range(summaries.Select(s => s.Smallest), "0.0")} | {Range(summaries.Select(s => s.Median), "0.0")} "
                    + $"| {Range(summaries.Select(s => s.Largest), "0.0")} | {Range(summaries.Select(s => s.MeanSquaredCosine), "0.00")} "
                    + Invariant($"| {reference.Smallest:0.0} / {reference.Median:0.0} / {reference.Largest:0.0}, {reference.MeanSquaredCosine:0.00} |"));
            }
        }

        foreach (var pair in pairs)
        {
            text.AppendLine().AppendLine($"## {pair.Label}").AppendLine();
            text.AppendLine($"First: `{Path.GetFileName(pair.First.Source)}`; second: `{Path.GetFileName(pair.Second.Source)}`.").AppendLine();
            text.AppendLine("| matrix | p, q | column-space angles ° | top-r angles ° | leading ° | ‖ΔW₁‖_F / ‖ΔW₂‖_F | cosine | energy |");
            text.AppendLine("|---|---|---|---|---|---|---|---|");
            foreach (var (matrix, c) in pair.Matrices)
                text.AppendLine(Invariant($"| {matrix.Label} | {c.ColumnDimensions.First}, {c.ColumnDimensions.Second} | {Angles(c.ColumnAngles, "0.0")} | {Angles(c.TopAngles, "0.0")} | {c.LeadingAngle:0.0} ")
                    + Invariant($"| {c.NormRatio:0.00} | {c.Cosine:0.00} | {c.EnergyInSecond:0.000} |"));
        }
        return text.ToString();
    }

    /// <summary>The mean angle between random lines in ℝⁿ (n of the first pair's matrices).</summary>
    private static double RandomLeadingAngle(IReadOnlyList<ChangePair> pairs, int draws)
        => pairs.Count == 0 ? double.NaN : RandomSubspaces.Sample(pairs[0].Matrices.Values.First().Rows, 1, 1, draws, RandomSeed).Smallest;

    private static string Range(IEnumerable<double> values, string format)
    {
        var all = values.ToArray();
        return Invariant($"{all.Average().ToString(format, CultureInfo.InvariantCulture)} [{all.Min().ToString(format, CultureInfo.InvariantCulture)}–{all.Max().ToString(format, CultureInfo.InvariantCulture)}]");
    }

    private static string Span(int[] values) => values.Min() == values.Max() ? Invariant($"{values[0]}") : Invariant($"{values.Min()}–{values.Max()}");

    private static string Angles(IEnumerable<double> degrees, string format) => string.Join(' ', degrees.Select(d => d.ToString(format, CultureInfo.InvariantCulture)));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static void WriteWhole(string path, string content)
    {
        var partial = path + ".partial";
        File.WriteAllText(partial, content);
        File.Move(partial, path, overwrite: true);
    }
}
