using System.Globalization;
using System.Text;
using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Study;

namespace DeltaLoRA.Bench.Reporting;

/// <summary>
/// The "Delta-LoRA − LoRA, paired by seed" table of a study's final runs: per task, the seeds both methods ran, the mean
/// difference with its 95% interval, the paired t and the sign test, and Welch's unpaired t for comparison.
/// </summary>
internal static class PairedMarkdown
{
    public const string Heading = "## Delta-LoRA − LoRA, paired by seed";

    public const string Explanation =
        "Dev ×100. A seed fixes the data order and the adapters' initial draws for both methods, so their runs are compared seed by seed: "
        + "the mean difference with its 95% interval and paired t (n − 1 degrees of freedom), and the exact sign test (Delta-LoRA ahead / behind). "
        + "With 3 seeds the sign test cannot go below p 0.25 and the t has 2 degrees of freedom (critical value 4.30). "
        + "Welch's t treats the runs as unpaired; it is shown only to compare. Runs are paired only where both methods' runs at a seed start from the same step-1 loss "
        + "(the same draws; builds of the bench that draw differently give different step-1 losses); where no losses.csv is beside the runs, that is not checked.";

    /// <summary>One task with final runs of both methods; <see cref="Paired"/> is null where they cannot be paired, <see cref="Problem"/> says why.</summary>
    public sealed record Row(GlueTask Task, double? LoRARate, double? DeltaLoRARate, PairedComparison? Paired, int Unpaired, WelchComparison Welch, string? Problem);

    public static IReadOnlyList<Row> Rows(IEnumerable<RunRecord> records, IEnumerable<GlueTask> tasks, LossLog? losses)
    {
        var final = records.Where(r => r.Spec.Phase == RunPhase.Final && r.Dev is not null).ToArray();
        var rows = new List<Row>();
        foreach (var task in tasks)
        {
            var lora = final.Where(r => r.Spec.Task == task && r.Spec.Method == StudyMethod.LoRA).ToArray();
            var delta = final.Where(r => r.Spec.Task == task && r.Spec.Method == StudyMethod.DeltaLoRA).ToArray();
            if (lora.Length == 0 || delta.Length == 0) continue;
            var welch = WelchComparison.Of(delta.Select(r => r.DevScores.Score).ToArray(), lora.Select(r => r.DevScores.Score).ToArray());
            double? loraRate = OneRate(lora), deltaRate = OneRate(delta);
            if (HasRepeatedSeed(lora) || HasRepeatedSeed(delta))
            {
                // Several configurations mixed together make Welch's t meaningless too.
                rows.Add(new Row(task, loraRate, deltaRate, null, 0, new WelchComparison(double.NaN, double.NaN, double.NaN, double.NaN),
                    "more than one final run per seed (several configurations in one runs.csv); not compared"));
                continue;
            }
            if (SharedDraws.Same(SharedDraws.FirstLossBySeed(delta, losses), SharedDraws.FirstLossBySeed(lora, losses)) == false)
            {
                rows.Add(new Row(task, loraRate, deltaRate, null, 0, welch, SharedDraws.DifferentNote));
                continue;
            }
            var pairs = PairedComparison.BySeed(delta.Select(r => (r.Spec.Seed, r.DevScores.Score)), lora.Select(r => (r.Spec.Seed, r.DevScores.Score)), out int unpaired);
            rows.Add(pairs.Count == 0
                ? new Row(task, loraRate, deltaRate, null, unpaired, welch, "no seed in common; not paired")
                : new Row(task, loraRate, deltaRate, PairedComparison.Of(pairs), unpaired, welch, null));
        }
        return rows;
    }

    /// <summary>The heading, the explanation and the table; empty where no task has both methods.</summary>
    public static string Render(IEnumerable<RunRecord> records, IEnumerable<GlueTask> tasks, LossLog? losses)
    {
        var rows = Rows(records, tasks, losses);
        if (rows.Count == 0) return "";
        var text = new StringBuilder();
        text.AppendLine(Heading).AppendLine();
        text.AppendLine(Explanation).AppendLine();
        text.AppendLine("| Task | LoRA lr | Delta-LoRA lr | pairs | Delta-LoRA − LoRA [95% CI] | paired t | sign test (ahead/behind) | Welch's t (unpaired) |");
        text.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var row in rows)
        {
            string pairs = row.Paired is null ? "0" : row.Unpaired > 0 ? $"{row.Paired.Pairs} ({row.Unpaired} unpaired)" : $"{row.Paired.Pairs}";
            string difference = row.Paired?.DifferenceWithInterval() ?? row.Problem!;
            text.AppendLine($"| {row.Task.Name} | {Rate(row.LoRARate)} | {Rate(row.DeltaLoRARate)} | {pairs} | {difference} | {row.Paired?.TText() ?? "—"} | {row.Paired?.SignText() ?? "—"} | {row.Welch.TText()} |");
        }
        text.AppendLine();
        return text.ToString();
    }

    public const string FileName = "paired.md";

    /// <summary>Writes paired.md beside the runs.csv (whole, then moved over any earlier one); returns its path.</summary>
    public static string Write(RunLog runs, LossLog? losses, IEnumerable<GlueTask> tasks)
    {
        var body = Render(runs.Records, tasks, losses);
        var text = new StringBuilder();
        text.AppendLine($"# Delta-LoRA against LoRA, seed by seed: {Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(runs.Path)))}").AppendLine();
        text.AppendLine($"Made by `deltalora-bench paired --runs {runs.Path}` from the final runs in that runs.csv; no run was made.").AppendLine();
        text.Append(body.Length > 0 ? body : "No task has final runs of both Delta-LoRA and LoRA.\n");
        var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(runs.Path))!, FileName);
        var temporary = path + ".writing";
        File.WriteAllText(temporary, text.ToString());
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    private static bool HasRepeatedSeed(IReadOnlyCollection<RunRecord> runs) => runs.Select(r => r.Spec.Seed).Distinct().Count() != runs.Count;

    private static double? OneRate(IReadOnlyCollection<RunRecord> runs)
    {
        var rates = runs.Select(r => r.Spec.LearningRate).Distinct().ToArray();
        return rates.Length == 1 ? rates[0] : null;
    }

    private static string Rate(double? value) => value?.ToString("0.###e+0", CultureInfo.InvariantCulture) ?? "—";
}
