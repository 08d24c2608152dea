using System.Globalization;
using System.Text;
using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Study;

namespace DeltaLoRA.Bench.Reporting;

/// <summary>
/// calibration.md: the finished calibration runs, per task and method, next to the published MiniLM-L6xH384 full fine-tuning
/// numbers (GLUE dev, microsoft/unilm's MiniLM README: a different checkpoint from all-MiniLM-L6-v2, see docs/studies/minilm-glue.md),
/// with each run's epochs, kept epoch, validation curve and cost, and the process-hours spent.
/// </summary>
internal static class CalibrationMarkdown
{
    /// <summary>The published dev number of each task and the metric it is, as the repository README cites them (STS-B: none).</summary>
    public static IReadOnlyDictionary<string, (string Metric, double Value)> Published { get; } = new Dictionary<string, (string, double)>
    {
        [GlueTask.Sst2.Name] = ("accuracy", 91.5),
        [GlueTask.Mrpc.Name] = ("accuracy", 88.9),
        [GlueTask.Cola.Name] = ("mcc", 47.5),
        [GlueTask.Rte.Name] = ("accuracy", 68.8),
    };

    public static string Render(IReadOnlyList<CalibrationRecord> runs)
    {
        var text = new StringBuilder();
        text.AppendLine("# Calibration: whole training splits, early stopping, against the published MiniLM numbers");
        text.AppendLine();
        if (runs.Count == 0)
        {
            text.AppendLine("No run has finished yet.");
            return text.ToString();
        }
        var first = runs[0];
        text.AppendLine(Invariant($"Dev scores ×100 of the weights kept by early stopping (the best validation epoch), r {first.Setup.Rank}, α {first.Setup.Alpha}, batch {first.Setup.BatchSize}, inputs cut at {first.Setup.MaxSequenceLength} tokens; ")
            + Invariant($"each task's training rows less the validation split carved from them as the study does (SST-2 here: {Rows(runs, GlueTask.Sst2)}), the learning rate given or chosen by the study. ")
            + "Published: MiniLM-L6xH384 full fine-tuning (GLUE dev), a different checkpoint from all-MiniLM-L6-v2. "
            + "The trainer stops on its own validation metric (accuracy, or mean squared error for STS-B), not on the task's GLUE score.");
        text.AppendLine();
        text.AppendLine("| task | method | lr | seeds | epochs run (kept) | validation metric per epoch | validation score | dev score | dev metrics | published | train h |");
        text.AppendLine("|---|---|---|---:|---|---|---:|---:|---|---:|---:|");
        // One line per task, method and rate: seeds of one rate make a mean, a rerun at another rate is its own line.
        foreach (var cell in runs.GroupBy(r => (r.Spec.Task.Name, r.Spec.Method, r.Spec.LearningRate))
                     .OrderBy(g => TaskOrder(g.Key.Name)).ThenBy(g => g.Key.Method).ThenBy(g => g.Key.LearningRate))
        {
            var cellRuns = cell.OrderBy(r => r.Spec.Seed).ToArray();
            var task = cellRuns[0].Spec.Task;
            string rates = string.Join(", ", cellRuns.Select(r => RunSpec.Format(r.Spec.LearningRate)).Distinct());
            string epochs = string.Join(", ", cellRuns.Select(r => Invariant($"{r.EpochsRun}/{r.Setup.MaxEpochs} ({r.BestEpoch})")));
            string curves = string.Join("; ", cellRuns.Select(r => string.Join(" ", r.ValidationByEpoch.Select(v => Invariant($"{v:0.000}")))));
            string metrics = string.Join(", ", cellRuns[0].Dev.Reported().Select(m => m.Name)
                .Select(name => $"{name} {Percent(cellRuns.Select(r => r.Dev.Reported().First(x => x.Name == name).Value))}"));
            string published = Published.TryGetValue(task.Name, out var p) ? Invariant($"{p.Value:0.0} ({p.Metric})") : "—";
            double trainHours = cellRuns.Sum(r => r.TrainSeconds) / 3600;
            text.AppendLine(Invariant($"| {task.Name} | {cell.Key.Method} | {rates} | {cellRuns.Length} | {epochs} | {curves} | {Percent(cellRuns.Select(r => r.ValidationScore))} | {Percent(cellRuns.Select(r => r.Dev.Score))} | {metrics} | {published} | {trainHours:0.00} |"));
        }
        text.AppendLine();
        double cpuHours = runs.Sum(r => r.CpuSeconds) / 3600;
        double wallHours = runs.Sum(r => r.TrainSeconds + r.EvalSeconds) / 3600;
        text.AppendLine(Invariant($"{runs.Count} run(s): {wallHours:0.00} process-hours of training and scoring (wall time), {cpuHours:0.00} CPU-hours. "));
        text.AppendLine("Commits: " + string.Join(", ", runs.Select(r => r.Commit.Length == 0 ? "(not recorded)" : r.Commit).Distinct()) + "; "
            + Invariant($"finished {runs.Min(r => r.FinishedUtc):yyyy-MM-dd HH:mm}–{runs.Max(r => r.FinishedUtc):yyyy-MM-dd HH:mm} UTC."));
        return text.ToString();
    }

    private static string Rows(IReadOnlyList<CalibrationRecord> runs, GlueTask task)
        => runs.FirstOrDefault(r => r.Spec.Task.Name == task.Name) is { } run ? Invariant($"{run.Spec.TrainRows:N0} training and {run.Spec.ValidationRows:N0} validation rows") : "not run yet";

    private static int TaskOrder(string name) => GlueTask.All.Select(t => t.Name).ToList().IndexOf(name);

    private static string Percent(IEnumerable<double> values) => MeanSd.Of(values).ToPercent();

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
