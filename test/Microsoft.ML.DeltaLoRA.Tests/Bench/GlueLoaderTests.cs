using DeltaLoRA.Bench.Glue;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Bench;

/// <summary>
/// The GLUE loaders on the real files in ../shared/data/glue: row counts (the official split sizes, and the file's own line
/// count), columns (compared with the file's lines split independently) and label sets.
/// </summary>
public class GlueLoaderTests
{
    private static string GlueRoot => SharedData.PathOf("data", "glue");

    [SharedTheory]
    // Official GLUE split sizes, as listed in shared/README.md.
    [InlineData("sst2", "train", 67349)]
    [InlineData("sst2", "dev", 872)]
    [InlineData("mrpc", "train", 3668)]
    [InlineData("mrpc", "dev", 408)]
    [InlineData("cola", "train", 8551)]
    [InlineData("cola", "dev", 1043)]
    [InlineData("rte", "train", 2490)]
    [InlineData("rte", "dev", 277)]
    [InlineData("stsb", "train", 5749)]
    [InlineData("stsb", "dev", 1500)]
    public void Every_row_of_each_split_loads(string taskName, string split, int officialRows)
    {
        var task = GlueTask.Parse(taskName);
        var rows = GlueLoader.Load(GlueRoot, task, split == "train" ? GlueSplit.Train : GlueSplit.Dev);
        var path = Path.Combine(GlueRoot, taskName, split + ".tsv");
        int lines = File.ReadLines(path).Count(line => line.Length > 0);

        Assert.Equal(officialRows, rows.Count);
        Assert.Equal(lines - (task.HasHeader ? 1 : 0), rows.Count);
    }

    [SharedTheory]
    [InlineData("sst2", 0, null, 1)]
    [InlineData("mrpc", 3, 4, 0)]
    [InlineData("cola", 3, null, 1)]
    [InlineData("rte", 1, 2, 3)]
    [InlineData("stsb", 7, 8, 9)]
    public void Texts_and_labels_come_from_the_documented_columns(string taskName, int text1Field, int? text2Field, int labelField)
    {
        var task = GlueTask.Parse(taskName);
        var path = Path.Combine(GlueRoot, taskName, "train.tsv");
        var rows = GlueLoader.Load(path, task);
        var lines = File.ReadAllLines(path).Skip(task.HasHeader ? 1 : 0).ToArray();

        foreach (int i in new[] { 0, 1, 17, lines.Length / 2, lines.Length - 1 })
        {
            var fields = lines[i].Split('\t');
            Assert.Equal(fields[text1Field], rows[i].Text1);
            Assert.Equal(text2Field is int f ? fields[f] : null, rows[i].Text2);
            Assert.Equal(fields[labelField], rows[i].Label);
        }
    }

    [SharedTheory]
    [InlineData("sst2", new[] { "0", "1" })]
    [InlineData("mrpc", new[] { "0", "1" })]
    [InlineData("cola", new[] { "0", "1" })]
    [InlineData("rte", new[] { "entailment", "not_entailment" })]
    public void Classification_labels_are_the_tasks_label_set(string taskName, string[] labels)
    {
        var task = GlueTask.Parse(taskName);
        foreach (var split in new[] { GlueSplit.Train, GlueSplit.Dev })
        {
            var found = GlueLoader.Load(GlueRoot, task, split).Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(labels, found);
        }
    }

    [SharedFact]
    public void Mrpc_loses_its_byte_order_mark_and_keeps_stray_quotes_inside_fields()
    {
        var rows = GlueLoader.Load(GlueRoot, GlueTask.Mrpc, GlueSplit.Train);
        Assert.StartsWith("Amrozi accused his brother, whom he called \"the witness\"", rows[0].Text1);
        Assert.Equal("1", rows[0].Label);
        // Dev row 1 opens a quote it never closes; a quoting reader would swallow the following rows.
        var dev = GlueLoader.Load(GlueRoot, GlueTask.Mrpc, GlueSplit.Dev);
        Assert.StartsWith("\"The foodservice pie business", dev[0].Text2);
        Assert.Equal(408, dev.Count);
    }

    [SharedFact]
    public void Stsb_scores_are_the_last_column_parsed_as_numbers_in_zero_to_five()
    {
        var path = Path.Combine(GlueRoot, "stsb", "dev.tsv");
        var rows = GlueLoader.Load(path, GlueTask.Stsb);
        var lastFields = File.ReadLines(path).Skip(1).Select(line => line.Split('\t')[^1]).ToArray();

        Assert.All(rows, r => Assert.InRange(r.Target, 0f, 5f));
        Assert.Equal(lastFields.Select(f => float.Parse(f, System.Globalization.CultureInfo.InvariantCulture)), rows.Select(r => r.Target));
        Assert.True(rows.Select(r => r.Target).Distinct().Count() > 50, "STS-B scores are graded, not a few classes.");
        Assert.All(rows, r => Assert.False(string.IsNullOrEmpty(r.Text2)));
    }

    [SharedFact]
    public void Cola_has_no_header_so_its_first_line_is_a_row()
    {
        var path = Path.Combine(GlueRoot, "cola", "dev.tsv");
        var rows = GlueLoader.Load(path, GlueTask.Cola);
        Assert.Equal(File.ReadLines(path).First().Split('\t')[3], rows[0].Text1);
    }

    [Fact]
    public void A_line_with_the_wrong_number_of_fields_names_the_file_line_and_counts()
    {
        using var folder = new TemporaryDirectory();
        var path = folder.File("rte.tsv");
        File.WriteAllText(path, "index\tsentence1\tsentence2\tlabel\n0\ta\tb\tentailment\n1\tonly two\tfields\n");
        var error = Assert.Throws<InvalidDataException>(() => GlueLoader.Load(path, GlueTask.Rte));
        Assert.Contains(path, error.Message);
        Assert.Contains("line 3", error.Message);
        Assert.Contains("4 tab-separated fields", error.Message);
        Assert.Contains("found 3 fields", error.Message);
    }

    [Fact]
    public void An_unknown_label_or_a_score_out_of_range_is_refused()
    {
        using var folder = new TemporaryDirectory();
        var sst2 = folder.File("sst2.tsv");
        File.WriteAllText(sst2, "sentence\tlabel\ngood\t1\nbad\tpositive\n");
        var error = Assert.Throws<InvalidDataException>(() => GlueLoader.Load(sst2, GlueTask.Sst2));
        Assert.Contains("label 'positive'", error.Message);
        Assert.Contains("one of 0, 1", error.Message);

        var stsb = folder.File("stsb.tsv");
        File.WriteAllText(stsb, "h\th\th\th\th\th\th\th\th\th\n0\tg\tf\ty\ti\ts\ts\ta\tb\t5.5\n");
        Assert.Contains("score '5.5'", Assert.Throws<InvalidDataException>(() => GlueLoader.Load(stsb, GlueTask.Stsb)).Message);
    }

    [Fact]
    public void A_missing_file_names_the_path()
    {
        var error = Assert.Throws<FileNotFoundException>(() => GlueLoader.Load("/nonexistent/glue", GlueTask.Sst2, GlueSplit.Dev));
        Assert.Contains(Path.Combine("/nonexistent/glue", "sst2", "dev.tsv"), error.Message);
    }

    [Fact]
    public void Task_names_parse_case_insensitively_and_unknown_names_are_refused()
    {
        Assert.Same(GlueTask.Sst2, GlueTask.Parse("SST-2"));
        Assert.Same(GlueTask.Stsb, GlueTask.Parse("sts-b"));
        Assert.Contains("sst2, mrpc, cola, rte, stsb", Assert.Throws<ArgumentOutOfRangeException>(() => GlueTask.Parse("mnli")).Message);
    }
}
