using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Study;

namespace DeltaLoRA.Bench.Reporting;

/// <summary>
/// The controls of the MiniLM study read back from the folder run-controls-minilm.sh writes (every run from one build), without
/// making a run: OUT/alpha16/r{R}-{task} (α 16, the study's rank-sweep arm) and OUT/alpha2r/r{R}-{task} (α = 2r, so α/r = 2 at
/// every rank), each holding final runs of Delta-LoRA and LoRA at one or two rates. Two readings, both paired by seed:
/// Delta-LoRA − LoRA per folder, at the rates the study chose and, in the α 16 arm where the two methods chose different rates,
/// with both at each of them (the same-rate controls); and, per method and rank, the α = 2r arm − the α 16 arm.
/// The rates an arm runs at come from the study that chose them: the α 16 arm at rank r uses the study's choice at r
/// (STUDY/main for <see cref="RankSweep.DefaultMainRank"/>, STUDY/rank/r{R}-{task} otherwise); the α = 2r arm uses the main
/// study's choice at every rank, where α/r is 2 as well, so that only r moves along that arm.
/// </summary>
internal static partial class ControlsReport
{
    public const string Alpha16Arm = "alpha16";
    public const string ScaledArm = "alpha2r";
    public const string BuildFileName = "build.txt";

    /// <summary>The final runs of one method at one rate in one (arm, rank, task) folder.</summary>
    public sealed record RunSet(string Arm, int Rank, GlueTask Task, StudyMethod Method, double Rate, IReadOnlyList<(int Seed, double Score)> DevBySeed,
        IReadOnlyDictionary<int, double> FirstLossBySeed)
    {
        public double Alpha => Arm == ScaledArm ? 2 * Rank : 16;
        public MeanSd Dev => MeanSd.Of(DevBySeed.Select(s => s.Score));
    }

    /// <summary>First − Second paired by seed; <see cref="Paired"/> is null where they cannot be (<see cref="Problem"/> says why).</summary>
    public sealed record Comparison(string Label, GlueTask Task, int Rank, RunSet? First, RunSet? Second, PairedComparison? Paired, string? Problem)
    {
        public static Comparison Of(string label, GlueTask task, int rank, RunSet? first, RunSet? second)
        {
            if (first is null || second is null) return new(label, task, rank, first, second, null, "not run yet");
            if (SharedDraws.Same(first.FirstLossBySeed, second.FirstLossBySeed) == false) return new(label, task, rank, first, second, null, SharedDraws.DifferentNote);
            var pairs = PairedComparison.BySeed(first.DevBySeed, second.DevBySeed, out _);
            return pairs.Count == 0
                ? new(label, task, rank, first, second, null, "no seed in common yet")
                : new(label, task, rank, first, second, PairedComparison.Of(pairs), null);
        }
    }

    public sealed record Outcome(IReadOnlyList<Comparison> MethodComparisons, IReadOnlyList<Comparison> ArmComparisons, string? Build);

    public static Outcome Read(string controlsFolder, string studyFolder)
    {
        if (!Directory.Exists(controlsFolder)) throw new DirectoryNotFoundException($"--folder: '{controlsFolder}' does not exist; give the OUT folder of run-controls-minilm.sh.");
        var sets = new List<RunSet>();
        foreach (var arm in new[] { Alpha16Arm, ScaledArm })
        {
            var armFolder = Path.Combine(controlsFolder, arm);
            if (!Directory.Exists(armFolder)) continue;
            foreach (var folder in Directory.GetDirectories(armFolder).Order(StringComparer.Ordinal))
                sets.AddRange(ReadFolder(folder, arm));
        }
        var rates = new StudyRates(studyFolder, sets.Select(s => s.Task).Distinct().ToArray());

        var methodComparisons = new List<Comparison>();
        foreach (var cell in sets.Select(s => (s.Task, s.Arm, s.Rank)).Distinct().OrderBy(c => GlueTaskOrder(c.Task)).ThenBy(c => c.Arm, StringComparer.Ordinal).ThenBy(c => c.Rank))
        {
            RunSet? Find(StudyMethod method, double rate) => sets.FirstOrDefault(s => (s.Task, s.Arm, s.Rank) == cell && s.Method == method && s.Rate == rate);
            double deltaRate = rates.ArmRate(cell.Arm, cell.Task, cell.Rank, StudyMethod.DeltaLoRA);
            double loraRate = rates.ArmRate(cell.Arm, cell.Task, cell.Rank, StudyMethod.LoRA);
            var rows = new List<Comparison> { Comparison.Of("as chosen", cell.Task, cell.Rank, Find(StudyMethod.DeltaLoRA, deltaRate), Find(StudyMethod.LoRA, loraRate)) };
            if (deltaRate != loraRate && cell.Arm == Alpha16Arm) // the α = 2r arm's rates were given, not chosen: no controls of its own
            {
                rows.Add(Comparison.Of("both at Delta-LoRA's rate", cell.Task, cell.Rank, Find(StudyMethod.DeltaLoRA, deltaRate), Find(StudyMethod.LoRA, deltaRate)));
                rows.Add(Comparison.Of("both at LoRA's rate", cell.Task, cell.Rank, Find(StudyMethod.DeltaLoRA, loraRate), Find(StudyMethod.LoRA, loraRate)));
            }
            methodComparisons.AddRange(rows.Where(c => c.First is not null || c.Second is not null));
        }

        var armComparisons = new List<Comparison>();
        var bothArms = sets.Where(s => s.Arm == ScaledArm).Select(s => (s.Task, s.Rank)).Distinct().OrderBy(c => GlueTaskOrder(c.Task)).ThenBy(c => c.Rank);
        foreach (var (task, rank) in bothArms)
            foreach (var method in new[] { StudyMethod.DeltaLoRA, StudyMethod.LoRA })
            {
                RunSet? InArm(string arm) => sets.FirstOrDefault(s => s.Arm == arm && s.Task == task && s.Rank == rank && s.Method == method
                    && s.Rate == rates.ArmRate(arm, task, rank, method));
                var comparison = Comparison.Of(method.ToString(), task, rank, InArm(ScaledArm), InArm(Alpha16Arm));
                if (comparison.First is not null || comparison.Second is not null) armComparisons.Add(comparison);
            }

        var buildFile = Path.Combine(controlsFolder, BuildFileName);
        return new Outcome(methodComparisons, armComparisons, File.Exists(buildFile) ? File.ReadAllText(buildFile).Trim() : null);
    }

    public static string Render(Outcome outcome)
    {
        var text = new StringBuilder();
        text.AppendLine("# MiniLM controls: same-rate runs, MRPC r 16 and the α = 2r arm, one build").AppendLine();
        if (outcome.Build is not null) text.AppendLine($"Build of every run: {outcome.Build}.").AppendLine();
        text.AppendLine("Dev ×100 (mean ± sd over the seeds finished, their number in brackets). Every comparison is paired by seed: a seed fixes the "
            + "data order and the draws of the head and the adapters, which depend on r but not on α, the rate or λ. The mean difference, its 95% interval "
            + "and the paired t (n − 1 degrees of freedom; none with one pair), and the exact sign test (first ahead/behind; with 3 seeds it cannot go "
            + "below p 0.25). Runs are paired only where both start from the same step-1 loss.").AppendLine();

        text.AppendLine("## Delta-LoRA − LoRA").AppendLine();
        text.AppendLine("\"as chosen\": each method at the rate the study chose on validation for that task and r (the α = 2r arm: the main study's choice at r 8). "
            + "Where the two chose different rates (α 16 arm), the same-rate controls run both methods at each of the two.").AppendLine();
        text.AppendLine("| task | α | r | comparison | Delta-LoRA lr | LoRA lr | Delta-LoRA dev | LoRA dev | pairs | Delta-LoRA − LoRA [95% CI] | paired t | sign test |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var c in outcome.MethodComparisons)
        {
            var any = c.First ?? c.Second!;
            text.AppendLine($"| {c.Task.Name} | {Alpha(any)} | {c.Rank} | {c.Label} | {Rate(c.First)} | {Rate(c.Second)} | {Dev(c.First)} | {Dev(c.Second)} | {Row(c)} |");
        }
        text.AppendLine();

        text.AppendLine("## α = 2r against α 16, per method and rank").AppendLine();
        text.AppendLine("The same method, rank and seed with the scale α/r at 2 instead of 16/r, each arm at its rates (above).").AppendLine();
        if (outcome.ArmComparisons.Count == 0) return text.AppendLine("No α = 2r run has finished yet.").ToString();
        text.AppendLine("| task | r | method | α = 2r lr | α 16 lr | α = 2r dev | α 16 dev | pairs | (α = 2r) − (α 16) [95% CI] | paired t | sign test |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var c in outcome.ArmComparisons)
            text.AppendLine($"| {c.Task.Name} | {c.Rank} | {c.Label} | {Rate(c.First)} | {Rate(c.Second)} | {Dev(c.First)} | {Dev(c.Second)} | {Row(c)} |");
        text.AppendLine();
        return text.ToString();
    }

    /// <summary>Writes the report to <paramref name="path"/> (whole, then moved over any earlier one).</summary>
    public static void Write(Outcome outcome, string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full + ".writing", Render(outcome));
        File.Move(full + ".writing", full, overwrite: true);
    }

    private static IEnumerable<RunSet> ReadFolder(string folder, string arm)
    {
        var name = Path.GetFileName(folder);
        var match = FolderName().Match(name);
        if (!match.Success) throw new InvalidDataException($"'{folder}': a controls folder is named r{{R}}-{{task}} (for example r16-mrpc); found '{name}'.");
        int rank = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var task = GlueTask.Parse(match.Groups[2].Value);
        var runsPath = Path.Combine(folder, StudyRunner.RunsFileName);
        if (!File.Exists(runsPath)) yield break;
        var lossesPath = Path.Combine(folder, StudyRunner.LossesFileName);
        var losses = File.Exists(lossesPath) ? LossLog.Open(lossesPath) : null;
        var finals = RunLog.Open(runsPath).Records.Where(r => r.Spec.Phase == RunPhase.Final && r.Spec.Task == task && r.Spec.LearningRate is not null
            && r.Spec.Method is StudyMethod.DeltaLoRA or StudyMethod.LoRA);
        foreach (var set in finals.GroupBy(r => (r.Spec.Method, Rate: r.Spec.LearningRate!.Value)))
        {
            var runs = set.OrderBy(r => r.Spec.Seed).ToArray();
            yield return new RunSet(arm, rank, task, set.Key.Method, set.Key.Rate, runs.Select(r => (r.Spec.Seed, r.DevScores.Score)).ToArray(),
                SharedDraws.FirstLossBySeed(runs, losses));
        }
    }

    /// <summary>The rates the study chose, per task, rank and method, read once per runs.csv.</summary>
    private sealed class StudyRates(string studyFolder, IReadOnlyList<GlueTask> tasks)
    {
        private readonly Dictionary<string, IReadOnlyList<RunRecord>> _finalsByFile = new(StringComparer.Ordinal);

        public double ArmRate(string arm, GlueTask task, int rank, StudyMethod method)
        {
            int studyRank = arm == ScaledArm ? RankSweep.DefaultMainRank : rank;
            var runs = studyRank == RankSweep.DefaultMainRank
                ? Path.Combine(studyFolder, "main", StudyRunner.RunsFileName)
                : Path.Combine(studyFolder, "rank", $"r{studyRank}-{task.Name}", StudyRunner.RunsFileName);
            var rates = Finals(runs).Where(r => r.Spec.Task == task && r.Spec.Method == method).Select(r => r.Spec.LearningRate!.Value).Distinct().ToArray();
            return rates.Length == 1 ? rates[0]
                : throw new InvalidDataException($"--study: '{runs}' should hold the {task.Name} {method} final runs at the one rate the study chose for r {studyRank}; found {rates.Length} rates.");
        }

        private IReadOnlyList<RunRecord> Finals(string runs)
        {
            if (_finalsByFile.TryGetValue(runs, out var finals)) return finals;
            if (!File.Exists(runs)) throw new FileNotFoundException($"--study: the rates the study chose are read from '{runs}', which does not exist.", runs);
            finals = RunLog.Open(runs).Records.Where(r => r.Spec.Phase == RunPhase.Final && r.Spec.LearningRate is not null && tasks.Contains(r.Spec.Task)).ToArray();
            _finalsByFile[runs] = finals;
            return finals;
        }
    }

    private static int GlueTaskOrder(GlueTask task) => GlueTask.All.ToList().IndexOf(task);

    private static string Alpha(RunSet set) => set.Alpha.ToString("0", CultureInfo.InvariantCulture);

    private static string Rate(RunSet? set) => set?.Rate.ToString("0.###e+0", CultureInfo.InvariantCulture) ?? "—";

    private static string Dev(RunSet? set) => set is null ? "not run yet" : $"{set.Dev.ToPercent()} ({set.Dev.Count})";

    private static string Row(Comparison c) => c.Paired is { } p
        ? $"{p.Pairs} | {p.DifferenceWithInterval()} | {p.TText()} | {p.SignText()}"
        : $"0 | {c.Problem} | — | —";

    [GeneratedRegex(@"^r(\d+)-([a-z0-9-]+)$")]
    private static partial Regex FolderName();
}
