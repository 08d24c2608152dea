using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Study;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;

namespace Microsoft.ML.DeltaLoRA.Tests.Bench;

/// <summary>The training subsample and its validation split: sizes, disjointness, and the same rows for the same seed.</summary>
public class TaskDataTests
{
    private static string GlueRoot => SharedData.PathOf("data", "glue");

    [SharedFact]
    public void A_large_split_is_subsampled_and_a_validation_share_is_held_out()
    {
        var data = TaskData.Prepare(GlueTask.Sst2, GlueRoot, subsampleSize: 1000, validationFraction: 0.1, devSize: null, seed: 7);

        Assert.Equal(900, data.Train.Count);
        Assert.Equal(100, data.Validation.Count);
        Assert.Equal(872, data.Dev.Count);
        Assert.Equal(67349, data.OfficialTrainRows);
        Assert.Empty(data.Train.Intersect(data.Validation, ReferenceEqualityComparer.Instance));
        // Drawn from all over the file, not its first 1000 lines.
        var all = GlueLoader.Load(GlueRoot, GlueTask.Sst2, GlueSplit.Train);
        var positions = data.Train.Select(r => all.ToList().IndexOf(r)).ToArray();
        Assert.Contains(positions, p => p > 30000);
    }

    [SharedFact]
    public void A_split_smaller_than_the_subsample_is_used_whole()
    {
        var data = TaskData.Prepare(GlueTask.Rte, GlueRoot, subsampleSize: 100_000, validationFraction: 0.1, devSize: null, seed: 1);
        Assert.Equal(2490, data.Train.Count + data.Validation.Count);
        Assert.Equal(249, data.Validation.Count);
    }

    [SharedFact]
    public void The_same_seed_gives_the_same_rows_and_another_seed_other_rows()
    {
        var a = TaskData.Prepare(GlueTask.Cola, GlueRoot, 500, 0.2, devSize: 100, seed: 3);
        var b = TaskData.Prepare(GlueTask.Cola, GlueRoot, 500, 0.2, devSize: 100, seed: 3);
        var c = TaskData.Prepare(GlueTask.Cola, GlueRoot, 500, 0.2, devSize: 100, seed: 4);

        Assert.Equal(a.Train, b.Train);
        Assert.Equal(a.Validation, b.Validation);
        Assert.Equal(a.Dev, b.Dev);
        Assert.Equal(100, a.Dev.Count);
        Assert.NotEqual(a.Train.Select(r => r.Text1), c.Train.Select(r => r.Text1));
    }

    [Fact]
    public void The_shuffle_is_a_permutation()
    {
        var rows = Enumerable.Range(0, 50).ToArray();
        var shuffled = TaskData.SeededShuffle(rows, 11);
        Assert.Equal(rows, shuffled.Order());
        Assert.NotEqual(rows, shuffled);
    }

    [Fact]
    public void Bad_sizes_are_refused_before_any_file_is_read()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TaskData.Prepare(GlueTask.Sst2, "/nonexistent", 1, 0.1, null, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TaskData.Prepare(GlueTask.Sst2, "/nonexistent", 100, 1.0, null, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TaskData.Prepare(GlueTask.Sst2, "/nonexistent", 100, 0.1, 0, 0));
    }
}
