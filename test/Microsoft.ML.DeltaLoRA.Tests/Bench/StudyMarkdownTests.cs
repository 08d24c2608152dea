using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Metrics;
using DeltaLoRA.Bench.Reporting;
using DeltaLoRA.Bench.Study;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Bench;

/// <summary>results.md's notes on learning-rate selection: a choice at the edge of its grid, and a grid where every rate tied.</summary>
public class StudyMarkdownTests
{
    private static readonly double[] Grid = [1e-4, 1e-3, 1e-2];

    private static RunRecord Run(GlueTask task, StudyMethod method, string phase, double lr, int seed, double validation, TaskScores? dev) =>
        new(new RunSpec(task, method, phase, lr, seed, null, null, 100, 900, 100, 400, "", "default(use-lite)"), validation, dev, 6, 1, 1);

    private static string Render(params (GlueTask Task, double[] Validation, double Chosen)[] selections)
    {
        using var folder = new TemporaryDirectory();
        var settings = new StudySettings
        {
            OutputFolder = folder.Path,
            GlueRoot = folder.Path,
            Tasks = selections.Select(s => s.Task).ToArray(),
            Methods = [StudyMethod.LoRA],
            SeedCount = 1,
            LearningRates = new Dictionary<StudyMethod, double[]> { [StudyMethod.LoRA] = Grid },
        };
        var records = new List<RunRecord>();
        var chosen = new Dictionary<(string, StudyMethod), double>();
        foreach (var (task, validation, lr) in selections)
        {
            records.AddRange(Grid.Select((rate, i) => Run(task, StudyMethod.LoRA, RunPhase.Select, rate, 1000, validation[i], null)));
            records.Add(Run(task, StudyMethod.LoRA, RunPhase.Final, lr, 1, 0.5, new TaskScores(Accuracy: 0.5)));
            chosen[(task.Name, StudyMethod.LoRA)] = lr;
        }
        return StudyMarkdown.Render(new StudyOutcome(settings, records, chosen, LossLog.Open(folder.File("losses.csv"))));
    }

    [Fact]
    public void A_rate_chosen_at_the_edge_of_its_grid_is_flagged_and_one_inside_is_not()
    {
        string text = Render((GlueTask.Sst2, [0.6, 0.7, 0.8], 1e-2), (GlueTask.Rte, [0.5, 0.6, 0.55], 1e-3));
        Assert.Contains("sst2 LoRA chose 1e-2, the highest value of its grid", text);
        Assert.DoesNotContain("rte LoRA chose", text);
        Assert.DoesNotContain("first grid value was taken", text);
    }

    [Fact]
    public void A_grid_where_every_rate_tied_says_the_choice_means_nothing_instead_of_an_edge_note()
    {
        string text = Render((GlueTask.Cola, [0.0, 0.0, 0.0], 1e-4));
        Assert.Contains("every rate of cola LoRA scored 0.00 on validation, so the first grid value was taken", text);
        Assert.DoesNotContain("cola LoRA chose", text);
    }

    [Fact]
    public void The_report_compares_Delta_LoRA_with_LoRA_seed_by_seed()
    {
        using var folder = new TemporaryDirectory();
        var settings = new StudySettings
        {
            OutputFolder = folder.Path,
            GlueRoot = folder.Path,
            Tasks = [GlueTask.Sst2],
            Methods = [StudyMethod.DeltaLoRA, StudyMethod.LoRA],
            SeedCount = 2,
        };
        // Differences +0.02 and +0.04: mean +3.00 points, sd 1.41, t = 0.03 / (0.01414 / √2) = 3.00 on 1 degree of freedom,
        // p = 1 − 2·atan(3)/π = 0.205 (the Cauchy closed form).
        RunRecord[] records =
        [
            Run(GlueTask.Sst2, StudyMethod.LoRA, RunPhase.Final, 1e-3, 1, 0.5, new TaskScores(Accuracy: 0.80)),
            Run(GlueTask.Sst2, StudyMethod.LoRA, RunPhase.Final, 1e-3, 2, 0.5, new TaskScores(Accuracy: 0.81)),
            Run(GlueTask.Sst2, StudyMethod.DeltaLoRA, RunPhase.Final, 1e-3, 1, 0.5, new TaskScores(Accuracy: 0.82)),
            Run(GlueTask.Sst2, StudyMethod.DeltaLoRA, RunPhase.Final, 1e-3, 2, 0.5, new TaskScores(Accuracy: 0.85)),
        ];
        var chosen = new Dictionary<(string, StudyMethod), double> { [("sst2", StudyMethod.LoRA)] = 1e-3, [("sst2", StudyMethod.DeltaLoRA)] = 1e-3 };
        string text = StudyMarkdown.Render(new StudyOutcome(settings, records, chosen, LossLog.Open(folder.File("losses.csv"))));
        Assert.Contains(PairedMarkdown.Heading, text);
        Assert.Contains("| sst2 | 1e-3 | 1e-3 | 2 | +3.00 [", text);
        Assert.Contains("| t 3.00, p 0.205 | 2/0, p 0.50 |", text);
    }
}
