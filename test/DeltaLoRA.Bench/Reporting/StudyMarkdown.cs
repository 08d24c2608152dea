using System.Globalization;
using System.Text;
using DeltaLoRA.Bench.Study;

namespace DeltaLoRA.Bench.Reporting;

/// <summary>results.md: the configuration, the dev table (mean ± sd over seeds), every metric, and the learning-rate selection.</summary>
internal static class StudyMarkdown
{
    public static string Render(StudyOutcome outcome)
    {
        var s = outcome.Settings;
        var summaries = MethodSummary.Of(outcome.Final);
        var methods = s.Methods;
        var text = new StringBuilder();
        text.AppendLine("# Delta-LoRA vs LoRA vs full fine-tuning on GLUE (dev)").AppendLine();
        if (s.IsQuick)
            text.AppendLine("> **SMOKE RUN (`--quick`)**: a tiny training subsample, a handful of steps and a small slice of dev. These numbers test the tooling; they are not evidence about any method.").AppendLine();
        AppendConfiguration(text, outcome);

        text.AppendLine($"## Dev scores (×100, mean ± sd over {s.SeedCount} seed{(s.SeedCount == 1 ? "" : "s")})").AppendLine();
        text.AppendLine($"| Task | Score | {string.Join(" | ", methods)} |");
        text.AppendLine($"|---|---|{string.Concat(methods.Select(_ => "---|"))}");
        foreach (var task in s.Tasks)
        {
            var cells = methods.Select(m => summaries.FirstOrDefault(x => x.Task == task && x.Method == m)?.Score.ToPercent() ?? "—");
            text.AppendLine($"| {task.Name} | {MetricNames.ScoreName(task)} | {string.Join(" | ", cells)} |");
        }
        text.AppendLine();
        text.Append(PairedMarkdown.Render(outcome.Final, s.Tasks, outcome.Losses));

        text.AppendLine("## Every metric").AppendLine();
        text.AppendLine("| Task | Method | lr | steps | metric (×100, mean ± sd) | train s/run |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var m in summaries)
        {
            var metrics = string.Join("; ", m.Metrics.Select(x => $"{x.Name} {x.Value.ToPercent()}"));
            text.AppendLine(Invariant($"| {m.Task.Name} | {m.Method} | {LearningRate(m.LearningRate)} | {(m.Method.FineTunes() ? m.Steps.ToString(CultureInfo.InvariantCulture) : "—")} | {metrics} | {m.TrainSecondsPerRun:0.0} |"));
        }
        text.AppendLine();

        var selection = outcome.Records.Where(r => r.Spec.Phase == RunPhase.Select).ToArray();
        if (selection.Length > 0)
        {
            text.AppendLine($"## Learning-rate selection (validation split carved from the training subsample, seed {s.SelectionSeed}; dev not used)").AppendLine();
            text.AppendLine("| Task | Method | lr | validation score ×100 | chosen |");
            text.AppendLine("|---|---|---|---|---|");
            foreach (var r in selection)
            {
                bool isChosen = outcome.ChosenLearningRates.TryGetValue((r.Spec.Task.Name, r.Spec.Method), out var lr) && lr == r.Spec.LearningRate;
                text.AppendLine(Invariant($"| {r.Spec.Task.Name} | {r.Spec.Method} | {LearningRate(r.Spec.LearningRate)} | {100 * r.ValidationScore:0.00} | {(isChosen ? "✔" : "")} |"));
            }
            text.AppendLine();
            foreach (var ((task, method), lr) in outcome.ChosenLearningRates)
            {
                var grid = s.GridFor(method);
                var scores = selection.Where(r => r.Spec.Task.Name == task && r.Spec.Method == method).Select(r => r.ValidationScore).Distinct().ToArray();
                if (scores.Length == 1)
                    text.AppendLine(Invariant($"- Note: every rate of {task} {method} scored {100 * scores[0]:0.00} on validation, so the first grid value was taken; the choice says nothing about the best rate."));
                else if (grid.Length > 2 && (lr == grid.Min() || lr == grid.Max()))
                    text.AppendLine($"- Note: {task} {method} chose {LearningRate(lr)}, the {(lr == grid.Min() ? "lowest" : "highest")} value of its grid; the best rate may lie outside it.");
            }
            text.AppendLine();
        }
        text.AppendLine("Every run is in `runs.csv`; per-step training losses in `losses.csv`; plots in `plots/`.");
        return text.ToString();
    }

    private static void AppendConfiguration(StringBuilder text, StudyOutcome outcome)
    {
        var s = outcome.Settings;
        var budget = s.Steps is int steps ? $"{steps} optimizer steps per run" : $"{s.Epochs} epochs of each task's training rows per run";
        text.AppendLine("## Configuration").AppendLine();
        text.AppendLine($"- Model: {(s.ModelPath ?? "USE-Lite (the study's default model)")}, max sequence length {s.MaxSequenceLength}.");
        text.AppendLine($"- Budget: {budget}, batch size {s.BatchSize}, the same for DeltaLoRA, LoRA and Full; AdamW, linear warmup ({s.WarmupRatio:0.##} of the steps) and linear decay.");
        text.AppendLine(Invariant($"- Adapters: r {s.Rank}, α {s.Alpha}, on the model's default targets (attention query and value); Delta-LoRA λ {s.UpdateRatio}, K {(s.StartSteps?.ToString(CultureInfo.InvariantCulture) ?? "= warmup steps")}."));
        text.AppendLine(Invariant($"- Data: up to {s.TrainSize} rows drawn from each official training split (seed {s.DataSeed}), {s.ValidationFraction:P0} of them held out as the validation split; dev = {(s.DevSize is int d ? $"a {d}-row subsample of the" : "the whole")} official dev split."));
        text.AppendLine($"- Learning rate: chosen per task and method from its grid on the validation split ({string.Join("; ", s.Methods.Where(m => m.FineTunes()).Select(m => $"{m}: {string.Join(", ", s.GridFor(m).Select(x => LearningRate(x)))}"))}); the final runs use seeds 1..{s.SeedCount}.");
        if (s.Tasks.Any(t => t.IsRegression))
            text.AppendLine($"- STS-B targets: {(s.StandardizeTargets ? "standardized on the training rows for every method (Pearson and Spearman do not change under that affine map)" : "the raw 0–5 scores")}.");
        text.AppendLine("- Frozen: the pretrained sentence vector (pairs: [u, v, |u−v|, u⊙v]), standardized, to ML.NET LbfgsMaximumEntropy (classification) or Sdca (regression).");
        text.AppendLine();
    }

    private static string LearningRate(double? value) => value?.ToString("0.###e+0", CultureInfo.InvariantCulture) ?? "—";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
