using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Metrics;
using DeltaLoRA.Bench.Reporting;
using DeltaLoRA.Bench.Study;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Bench;

/// <summary>runs.csv and losses.csv: what is written reads back exactly, so that an interrupted study resumes.</summary>
public class StudyFilesTests
{
    private static RunSpec Spec(int seed = 1, string model = "default(use-lite)") =>
        new(GlueTask.Mrpc, StudyMethod.DeltaLoRA, RunPhase.Final, 1e-3, seed, 0.5, 12, 200, 900, 100, 408, "", model);

    /// <summary>What <see cref="Csv.Line"/> writes reads back field for field, a line break inside a quoted field included.</summary>
    [Fact]
    public void Csv_fields_with_commas_quotes_and_line_breaks_round_trip()
    {
        using var folder = new TemporaryDirectory();
        var path = folder.File("fields.csv");
        string[] header = ["a", "b", "c", "d", "e"];
        string[] fields = ["plain", "a,b", "say \"hi\"", "", "/models/x,y/\"z\""];
        string[] multiline = ["two\nlines", "x", "\r\n", "y", "z"];
        File.WriteAllText(path, Csv.Line(header) + "\n" + Csv.Line(fields) + "\n" + Csv.Line(multiline) + "\n");
        var rows = Csv.ReadOrCreate(path, header, "test").ToArray();
        Assert.Equal([(fields, 2), (multiline, 3)], rows);
        Assert.Equal("a,\"b,c\",\"d\"\"e\"", Csv.Line(["a", "b,c", "d\"e"]));
    }

    [Fact]
    public void A_run_record_reads_back_equal_and_is_found_by_its_spec()
    {
        using var folder = new TemporaryDirectory();
        var path = folder.File("runs.csv");
        var record = new RunRecord(Spec(model: "/models/with,comma"), 0.7123456789, new TaskScores(Accuracy: 0.8112745098039216, F1: 0.8671328671328671), 12, 93.25, 4.5);
        RunLog.Open(path).Append(record);

        var reopened = RunLog.Open(path);
        Assert.True(reopened.TryGet(Spec(model: "/models/with,comma"), out var read));
        Assert.Equal(record.Spec.Key, read.Spec.Key);
        Assert.Equal(record.ValidationScore, read.ValidationScore);
        Assert.Equal(record.Dev, read.Dev);
        Assert.Equal(record.WarmupSteps, read.WarmupSteps);
        Assert.Equal(record.TrainSeconds, read.TrainSeconds);
        Assert.False(reopened.TryGet(Spec(seed: 2), out _));
        Assert.False(reopened.TryGet(Spec(model: "another model"), out _));
        Assert.Equal(2, File.ReadAllLines(path).Length);
    }

    [Fact]
    public void A_selection_run_has_no_dev_scores_and_reads_back_without_them()
    {
        using var folder = new TemporaryDirectory();
        var path = folder.File("runs.csv");
        var spec = Spec() with { Phase = RunPhase.Select };
        RunLog.Open(path).Append(new RunRecord(spec, 0.61, Dev: null, 12, 10, 1));

        Assert.True(RunLog.Open(path).TryGet(spec, out var read));
        Assert.Null(read.Dev);
        Assert.Equal(0.61, read.ValidationScore);
        Assert.Throws<InvalidOperationException>(() => read.DevScores);
    }

    [Fact]
    public void A_file_that_is_not_a_runs_file_is_refused()
    {
        using var folder = new TemporaryDirectory();
        var path = folder.File("runs.csv");
        File.WriteAllText(path, "a,b,c\n1,2,3\n");
        Assert.Contains("header", Assert.Throws<InvalidDataException>(() => RunLog.Open(path)).Message);
    }

    [Fact]
    public void A_row_with_a_missing_field_is_refused_with_its_line_in_every_study_file()
    {
        // A run cut off mid-write leaves a short last line; each file must name it rather than misread the columns.
        using var folder = new TemporaryDirectory();
        var losses = folder.File("losses.csv");
        LossLog.Open(losses).Append(Spec(1), [new LossPoint(1, 0.69)]);
        File.AppendAllText(losses, "sst2|x,sst2,DeltaLoRA,final,0.001,1,2\n");
        var error = Assert.Throws<InvalidDataException>(() => LossLog.Open(losses)).Message;
        Assert.Contains("line 3", error);
        Assert.Contains("expected 8 fields, found 7", error);

        var runs = folder.File("runs.csv");
        RunLog.Open(runs).Append(new RunRecord(Spec() with { Phase = RunPhase.Select }, 0.61, Dev: null, 12, 10, 1));
        File.AppendAllText(runs, "sst2,DeltaLoRA\n");
        Assert.Contains("line 3: expected", Assert.Throws<InvalidDataException>(() => RunLog.Open(runs)).Message);
    }

    [Fact]
    public void Losses_read_back_per_run_and_a_repeated_attempt_replaces_the_first()
    {
        using var folder = new TemporaryDirectory();
        var path = folder.File("losses.csv");
        var log = LossLog.Open(path);
        log.Append(Spec(1), [new LossPoint(1, 0.69), new LossPoint(2, 0.61)]);
        log.Append(Spec(2), [new LossPoint(1, 0.70)]);
        log.Append(Spec(1), [new LossPoint(1, 0.68), new LossPoint(2, 0.55), new LossPoint(3, 0.5)]);

        var reopened = LossLog.Open(path);
        Assert.Equal([new LossPoint(1, 0.68), new LossPoint(2, 0.55), new LossPoint(3, 0.5)], reopened.For(Spec(1)));
        Assert.Equal([new LossPoint(1, 0.70)], reopened.For(Spec(2)));
        Assert.Empty(reopened.For(Spec(3)));
    }
}
