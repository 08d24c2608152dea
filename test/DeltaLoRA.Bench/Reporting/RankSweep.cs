using System.Globalization;
using System.Text;
using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Study;

namespace DeltaLoRA.Bench.Reporting;

/// <summary>
/// The rank sweep read back from a study folder laid out as run-study-minilm.sh writes it, without making a run: rank r's runs
/// of a task in OUT/rank/r{r}-{task}/, the main study's rank in OUT/main/ (which also gives full fine-tuning and the frozen
/// baseline, whose scores do not depend on r). Per task, adapter method and rank: the rate chosen on validation, that selection
/// run's validation score, dev over the final seeds, and the late training loss of the final runs.
/// Writes OUT/rank/summary.md and OUT/rank/plots/rank-{task}.png.
/// </summary>
internal static class RankSweep
{
    public static IReadOnlyList<GlueTask> DefaultTasks { get; } = [GlueTask.Sst2, GlueTask.Mrpc, GlueTask.Cola];
    public static IReadOnlyList<int> DefaultRanks { get; } = [1, 2, 4, 8, 16];
    public const int DefaultMainRank = 8;
    public const string MarkdownFileName = "summary.md";

    private static readonly StudyMethod[] Adapters = [StudyMethod.LoRA, StudyMethod.DeltaLoRA];

    /// <param name="SelectionScore">The validation score of the selection run at the chosen rate; null where the grid had one rate.</param>
    /// <param name="LateLoss">Mean over the final seeds of each run's mean loss over its last 10% of steps; NaN without a losses.csv.</param>
    /// <param name="DevBySeed">Each final run's dev score with its seed, for the comparison seed by seed.</param>
    /// <param name="FirstLossBySeed">Each final run's step-1 loss by seed (empty without a losses.csv), to check that paired runs drew alike.</param>
    public sealed record Cell(GlueTask Task, StudyMethod Method, int Rank, double? LearningRate, double? SelectionScore, MeanSd Dev, double LateLoss, double TrainSecondsPerRun,
        IReadOnlyList<(int Seed, double Score)> DevBySeed, IReadOnlyDictionary<int, double> FirstLossBySeed);

    /// <param name="References">Full fine-tuning and the frozen baseline from the main study, per task.</param>
    public sealed record Outcome(IReadOnlyList<GlueTask> Tasks, IReadOnlyList<int> Ranks, int MainRank, IReadOnlyList<Cell> Cells, IReadOnlyList<MethodSummary> References)
    {
        public Cell? Find(GlueTask task, StudyMethod method, int rank) => Cells.FirstOrDefault(c => c.Task == task && c.Method == method && c.Rank == rank);
    }

    public static Outcome Read(string studyFolder, IReadOnlyList<GlueTask> tasks, IReadOnlyList<int> ranks, int mainRank)
    {
        if (ranks.Count == 0 || ranks.Any(r => r < 1)) throw new ArgumentOutOfRangeException("--ranks", string.Join(",", ranks), "Ranks must be 1 or more, and at least one is needed.");
        var mainFolder = Path.Combine(studyFolder, "main");
        var main = StudyFolder.Read(mainFolder)
            ?? throw new FileNotFoundException($"The rank sweep reads the main study (r {mainRank}, full fine-tuning, frozen baseline) from '{Path.Combine(mainFolder, "runs.csv")}', which does not exist.");

        var cells = new List<Cell>();
        var references = new List<MethodSummary>();
        foreach (var task in tasks)
        {
            foreach (int rank in ranks.Distinct().Order())
            {
                var folder = rank == mainRank ? main : StudyFolder.Read(Path.Combine(studyFolder, "rank", $"r{rank}-{task.Name}"));
                if (folder is not null) cells.AddRange(Adapters.Select(m => CellOf(folder, task, m, rank)).OfType<Cell>());
            }
            references.AddRange(MethodSummary.Of(main.Runs.Records.Where(r =>
                r.Spec.Task == task && r.Spec.Phase == RunPhase.Final && r.Spec.Method is StudyMethod.Full or StudyMethod.Frozen)));
        }
        return new Outcome(tasks, ranks.Distinct().Order().ToArray(), mainRank, cells, references);
    }

    /// <returns>The path of summary.md.</returns>
    public static string Write(Outcome outcome, string studyFolder)
    {
        var folder = Directory.CreateDirectory(Path.Combine(studyFolder, "rank")).FullName;
        var plots = Directory.CreateDirectory(Path.Combine(folder, StudyReport.PlotsFolderName)).FullName;
        foreach (var task in outcome.Tasks.Where(t => outcome.Cells.Any(c => c.Task == t)))
            Plots.RankSweep(Path.Combine(plots, $"rank-{task.Name}.png"), task, outcome.Ranks, outcome.Cells.Where(c => c.Task == task).ToArray(),
                outcome.References.Where(r => r.Task == task).ToArray());
        var path = Path.Combine(folder, MarkdownFileName);
        File.WriteAllText(path, Render(outcome));
        return path;
    }

    public static string Render(Outcome outcome)
    {
        var text = new StringBuilder();
        text.AppendLine("# Rank sweep: Delta-LoRA against LoRA by adapter rank r").AppendLine();
        text.AppendLine($"Each method and rank chose its own learning rate on the validation split; dev ×100 is the mean ± sd over the final seeds "
            + $"(the number of seeds in brackets where a cell is not finished). r {outcome.MainRank} is the main study. Late loss: the mean training loss "
            + "over the last 10% of the steps of the final runs, how far each fitted its training data. Full fine-tuning and the frozen baseline "
            + "(main study) do not depend on r.");
        text.AppendLine();
        text.AppendLine("Delta-LoRA − LoRA is paired by seed (a seed fixes the data order and the adapters' draws for both methods): the mean difference "
            + "with its 95% interval, the paired t (n − 1 degrees of freedom; with 3 seeds the critical value is 4.30) and the exact sign test "
            + "(Delta-LoRA ahead/behind; with 3 seeds it cannot go below p 0.25). Runs are paired only where both methods' runs at a seed start from the same "
            + "step-1 loss (the same draws; it differs between builds of the bench that draw differently).");
        text.AppendLine();
        int seeds = outcome.Cells.Count == 0 ? 0 : outcome.Cells.Max(c => c.Dev.Count);
        foreach (var task in outcome.Tasks)
        {
            text.AppendLine($"## {task.Name} ({MetricNames.ScoreName(task)})").AppendLine();
            text.AppendLine("| r | LoRA lr | LoRA dev | LoRA late loss | Delta-LoRA lr | Delta-LoRA dev | Delta-LoRA late loss | Delta-LoRA − LoRA [95% CI] | paired t | sign test |");
            text.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
            foreach (int rank in outcome.Ranks)
            {
                var lora = outcome.Find(task, StudyMethod.LoRA, rank);
                var delta = outcome.Find(task, StudyMethod.DeltaLoRA, rank);
                var (paired, problem) = Paired(lora, delta);
                string difference = lora is null || delta is null ? "—" : paired?.DifferenceWithInterval() ?? $"{Signed(100 * (delta.Dev.Mean - lora.Dev.Mean))} ({problem})";
                text.AppendLine($"| {rank} | {Rate(lora)} | {Dev(lora, seeds)} | {Loss(lora)} | {Rate(delta)} | {Dev(delta, seeds)} | {Loss(delta)} | {difference} | {paired?.TText() ?? "—"} | {paired?.SignText() ?? "—"} |");
            }
            text.AppendLine();
            var references = outcome.References.Where(r => r.Task == task).Select(r => $"{r.Method} {r.Score.ToPercent()}").ToArray();
            if (references.Length > 0) text.AppendLine($"Main study, any r: {string.Join("; ", references)}.").AppendLine();
        }
        text.AppendLine("## Every cell").AppendLine();
        text.AppendLine("| task | method | r | chosen lr | validation ×100 at that rate (selection run) | dev ×100 | seeds | late loss | train s per run |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var cell in outcome.Cells)
        {
            string selection = cell.SelectionScore is double v ? (100 * v).ToString("0.00", CultureInfo.InvariantCulture) : "—";
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {cell.Task.Name} | {cell.Method} | {cell.Rank} | {Rate(cell)} | {selection} | {cell.Dev.ToPercent()} | {cell.Dev.Count} | {Loss(cell)} | {cell.TrainSecondsPerRun:0} |"));
        }
        return text.ToString();
    }

    private static Cell? CellOf(StudyFolder folder, GlueTask task, StudyMethod method, int rank)
    {
        var final = folder.Runs.Records.Where(r => r.Spec.Task == task && r.Spec.Method == method && r.Spec.Phase == RunPhase.Final).OrderBy(r => r.Spec.Seed).ToArray();
        if (final.Length == 0) return null;
        double? rate = final[0].Spec.LearningRate;
        if (final.Any(r => r.Spec.LearningRate != rate))
            throw new InvalidDataException($"'{folder.Runs.Path}': the final {task.Name} {method} runs have more than one learning rate; a rank folder holds one study configuration.");
        var selection = folder.Runs.Records.FirstOrDefault(r => r.Spec.Task == task && r.Spec.Method == method && r.Spec.Phase == RunPhase.Select && r.Spec.LearningRate == rate);
        var lateLosses = folder.Losses is null ? [] : final.Select(r => LossCurves.LateMean(folder.Losses.For(r.Spec))).Where(double.IsFinite).ToArray();
        return new Cell(task, method, rank, rate, selection?.ValidationScore, MeanSd.Of(final.Select(r => r.DevScores.Score)),
            lateLosses.Length == 0 ? double.NaN : lateLosses.Average(), final.Average(r => r.TrainSeconds),
            final.Select(r => (r.Spec.Seed, r.DevScores.Score)).ToArray(), SharedDraws.FirstLossBySeed(final, folder.Losses));
    }

    /// <summary>
    /// Delta-LoRA − LoRA over the seeds both cells ran; null, with the reason, where either cell is missing, they share no
    /// seed, or their runs at a seed drew differently.
    /// </summary>
    public static (PairedComparison? Paired, string? Problem) Paired(Cell? lora, Cell? delta)
    {
        if (lora is null || delta is null) return (null, "a cell is missing");
        if (SharedDraws.Same(delta.FirstLossBySeed, lora.FirstLossBySeed) == false) return (null, SharedDraws.DifferentNote);
        var pairs = PairedComparison.BySeed(delta.DevBySeed, lora.DevBySeed, out _);
        return pairs.Count == 0 ? (null, "no seed in common") : (PairedComparison.Of(pairs), null);
    }

    private static string Rate(Cell? cell) => cell?.LearningRate is double lr ? lr.ToString("0.###e+0", CultureInfo.InvariantCulture) : "—";

    private static string Dev(Cell? cell, int seeds) => cell is null ? "—" : cell.Dev.Count < seeds ? $"{cell.Dev.ToPercent()} ({cell.Dev.Count})" : cell.Dev.ToPercent();

    private static string Loss(Cell? cell) => cell is null || double.IsNaN(cell.LateLoss) ? "—" : cell.LateLoss.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Signed(double value) => value.ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture);

    /// <summary>A study output folder's runs.csv and, where present, its losses.csv; null where it has no runs.csv yet.</summary>
    private sealed record StudyFolder(RunLog Runs, LossLog? Losses)
    {
        public static StudyFolder? Read(string folder)
        {
            var runs = Path.Combine(folder, "runs.csv");
            if (!File.Exists(runs)) return null;
            var losses = Path.Combine(folder, "losses.csv");
            return new StudyFolder(RunLog.Open(runs), File.Exists(losses) ? LossLog.Open(losses) : null);
        }
    }
}
