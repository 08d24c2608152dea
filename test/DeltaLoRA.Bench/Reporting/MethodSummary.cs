using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Study;

namespace DeltaLoRA.Bench.Reporting;

/// <summary>One task × method cell of the results: dev metrics over the final seeds, the learning rate, the cost per run.</summary>
internal sealed record MethodSummary(GlueTask Task, StudyMethod Method, double? LearningRate, MeanSd Score, IReadOnlyList<(string Name, MeanSd Value)> Metrics,
    double TrainSecondsPerRun, int Steps)
{
    public static IReadOnlyList<MethodSummary> Of(IEnumerable<RunRecord> finalRuns)
        => finalRuns
            .GroupBy(r => (r.Spec.Task, r.Spec.Method))
            .OrderBy(g => GlueTask.All.ToList().IndexOf(g.Key.Task)).ThenBy(g => g.Key.Method)
            .Select(g =>
            {
                var runs = g.ToArray();
                var metricNames = runs[0].DevScores.Reported().Select(m => m.Name).ToArray();
                var metrics = metricNames.Select(name => (name, MeanSd.Of(runs.Select(r => r.DevScores.Reported().First(m => m.Name == name).Value)))).ToArray();
                return new MethodSummary(g.Key.Task, g.Key.Method, runs[0].Spec.LearningRate, MeanSd.Of(runs.Select(r => r.DevScores.Score)), metrics,
                    runs.Average(r => r.TrainSeconds), runs[0].Spec.Steps);
            })
            .ToArray();
}
