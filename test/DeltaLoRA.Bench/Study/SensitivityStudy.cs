using System.Globalization;
using System.Text;
using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Reporting;

namespace DeltaLoRA.Bench.Study;

/// <summary>
/// Delta-LoRA's sensitivity to λ (update ratio) and K (start step) on one task, at one learning rate (given, or chosen on
/// the validation split exactly as the study chooses it, reusing the study's selection runs in the same output folder).
/// λ = 0 is LoRA, where K does nothing: it is run once per seed and shown in every K column.
/// Writes sensitivity-{task}.md and plots/sensitivity-{task}.png; the runs go to runs.csv with phase "sensitivity".
/// </summary>
internal static class SensitivityStudy
{
    public static IReadOnlyList<double> DefaultLambdas { get; } = [0, 0.25, 0.5, 1, 2];

    /// <summary>K as multiples of the warmup steps: 0, warmup, 2 × warmup.</summary>
    public static IReadOnlyList<double> DefaultStartMultiples { get; } = [0, 1, 2];

    public sealed record Cell(double Lambda, int StartSteps, double StartMultiple, MeanSd Score, IReadOnlyList<RunRecord> Runs);

    public sealed record Outcome(GlueTask Task, double LearningRate, int WarmupSteps, IReadOnlyList<Cell> Cells, string MarkdownPath, string PlotPath);

    public static Outcome Run(StudyRunner runner, GlueTask task, double? learningRate, IReadOnlyList<double> lambdas, IReadOnlyList<double> startMultiples,
        TextWriter log)
    {
        if (lambdas.Count == 0 || lambdas.Any(l => !(l >= 0 && double.IsFinite(l))))
            throw new ArgumentOutOfRangeException(nameof(lambdas), string.Join(",", lambdas), "λ values must be finite and zero or more, and at least one is needed.");
        if (startMultiples.Count == 0 || startMultiples.Any(k => !(k >= 0 && double.IsFinite(k))))
            throw new ArgumentOutOfRangeException(nameof(startMultiples), string.Join(",", startMultiples), "K multiples of the warmup must be finite and zero or more.");

        var settings = runner.Settings;
        var data = runner.PrepareData(task);
        var records = new List<RunRecord>();
        double lr = learningRate ?? runner.ChooseLearningRate(data, StudyMethod.DeltaLoRA, records);
        int warmup = settings.WarmupStepsFor(settings.StepsFor(data));
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"== sensitivity on {task.Name}: Delta-LoRA at lr {lr:R}, warmup {warmup} steps"));

        var cells = new List<Cell>();
        foreach (double lambda in lambdas)
        {
            foreach (double multiple in startMultiples)
            {
                // λ = 0 never moves W, so K changes nothing: one set of runs (at K = warmup) stands for every K.
                int k = (int)Math.Round((lambda == 0 ? 1 : multiple) * warmup);
                var runs = runner.FinalSeeds
                    .Select(seed => runner.RunOnce(runner.Spec(data, StudyMethod.DeltaLoRA, RunPhase.Sensitivity, lr, seed, lambda, k), data, null))
                    .ToArray();
                cells.Add(new Cell(lambda, k, multiple, MeanSd.Of(runs.Select(r => r.DevScores.Score)), runs));
            }
        }

        var folder = settings.OutputFolder;
        var markdownPath = Path.Combine(folder, $"sensitivity-{task.Name}.md");
        File.WriteAllText(markdownPath, Render(task, lr, warmup, lambdas, startMultiples, cells, settings));
        var plotPath = Path.Combine(Directory.CreateDirectory(Path.Combine(folder, StudyReport.PlotsFolderName)).FullName, $"sensitivity-{task.Name}.png");
        Plots.SensitivityBars(plotPath, task, lambdas, startMultiples.Select(m => KLabel(m, warmup)).ToArray(),
            (lambda, k) => cells.First(c => c.Lambda == lambda && c.StartMultiple == startMultiples[k]).Score, settings.IsQuick);
        log.WriteLine($"Sensitivity report written to {markdownPath}");
        return new Outcome(task, lr, warmup, cells, markdownPath, plotPath);
    }

    private static string KLabel(double multiple, int warmup)
        => string.Create(CultureInfo.InvariantCulture, $"K = {(multiple == 0 ? "0" : multiple == 1 ? "warmup" : $"{multiple:0.##}×warmup")} ({(int)Math.Round(multiple * warmup)})");

    private static string Render(GlueTask task, double lr, int warmup, IReadOnlyList<double> lambdas, IReadOnlyList<double> multiples, IReadOnlyList<Cell> cells,
        StudySettings settings)
    {
        var text = new StringBuilder();
        text.AppendLine($"# Delta-LoRA λ and K sensitivity on {task.Name} (dev)").AppendLine();
        if (settings.IsQuick) text.AppendLine("> **SMOKE RUN (`--quick`)**: these numbers test the tooling; they are not evidence.").AppendLine();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Learning rate {lr:0.###e+0}, {cells[0].Runs[0].Spec.Steps} steps, warmup {warmup} steps, r {settings.Rank}, α {settings.Alpha}; {MetricNames.ScoreName(task)} ×100, mean ± sd over {settings.SeedCount} seeds. λ = 0 is LoRA (K has no effect; one set of runs fills its row)."));
        text.AppendLine();
        text.AppendLine($"| λ | {string.Join(" | ", multiples.Select(m => KLabel(m, warmup)))} |");
        text.AppendLine($"|---|{string.Concat(multiples.Select(_ => "---|"))}");
        foreach (double lambda in lambdas)
        {
            var row = multiples.Select(m => cells.First(c => c.Lambda == lambda && c.StartMultiple == m).Score.ToPercent());
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {lambda:0.##} | {string.Join(" | ", row)} |"));
        }
        return text.ToString();
    }
}
