using DeltaLoRA.Cli;
using DeltaLoRA.Cli.Data;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Cli;

/// <summary>How the CLI reads a data file's layout and finds its label and text columns (by name, by index, by default).</summary>
public sealed class DataFileTests : IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Write(string name, string content) => _folder.WriteFile(name, content);

    [Fact]
    public void Separator_follows_the_extension_and_csv_fields_may_be_quoted()
    {
        var tsv = TabularFile.Inspect(Write("a.tsv", "text\tlabel\n\"quoted, \"\" kept\tpos\n"), "--dataset", hasHeader: true, separator: null);
        Assert.Equal('\t', tsv.Separator);
        Assert.False(tsv.AllowQuoting);
        Assert.Equal(["text", "label"], tsv.ColumnNames);
        Assert.Equal("\"quoted, \"\" kept", tsv.SampleRows[0][0]);

        var csv = TabularFile.Inspect(Write("a.csv", "text,label\n\"one, two \"\"three\"\"\",pos\n"), "--dataset", hasHeader: true, separator: null);
        Assert.Equal(',', csv.Separator);
        Assert.Equal(["one, two \"three\"", "pos"], csv.SampleRows[0]);

        var semicolon = TabularFile.Inspect(Write("b.csv", "text;label\nhello;pos\n"), "--dataset", hasHeader: true, separator: "semicolon");
        Assert.Equal(["text", "label"], semicolon.ColumnNames);
        Assert.Equal(["hello", "pos"], semicolon.SampleRows[0]);
    }

    [Fact]
    public void Without_a_header_columns_are_col0_col1_and_every_line_is_data()
    {
        var file = TabularFile.Inspect(Write("c.tsv", "gj04\t1\t\tOur friends won't buy this.\ngj04\t0\t*\tOne more.\n"), "--dataset", hasHeader: false, separator: null);
        Assert.Equal(["col0", "col1", "col2", "col3"], file.ColumnNames);
        Assert.Equal(2, file.SampleRows.Count);
        Assert.Equal(new TabularColumn(3, "col3"), ColumnResolver.Resolve(file, "3", "--text-col"));
        Assert.Equal(new TabularColumn(1, "col1"), ColumnResolver.Resolve(file, "col1", "--label-col"));
    }

    [Fact]
    public void A_column_is_found_by_exact_name_then_by_case_insensitive_name_then_by_index()
    {
        var file = TabularFile.Inspect(Write("d.tsv", "index\tsentence1\tsentence2\tLabel\n0\ta\tb\tyes\n"), "--dataset", true, null);
        Assert.Equal(new TabularColumn(1, "sentence1"), ColumnResolver.Resolve(file, "sentence1", "--text-col"));
        Assert.Equal(new TabularColumn(3, "Label"), ColumnResolver.Resolve(file, "label", "--label-col"));
        Assert.Equal(new TabularColumn(2, "sentence2"), ColumnResolver.Resolve(file, "2", "--text2-col"));
    }

    [Fact]
    public void An_unknown_column_or_an_index_out_of_range_names_the_file_and_lists_its_columns()
    {
        var path = Write("e.tsv", "sentence\tlabel\nfine\t1\n");
        var file = TabularFile.Inspect(path, "--dataset", true, null);

        var unknown = Assert.Throws<UserErrorException>(() => ColumnResolver.Resolve(file, "sentiment", "--label-col"));
        Assert.Contains("--label-col 'sentiment'", unknown.Message);
        Assert.Contains(file.Path, unknown.Message);
        Assert.Contains("0 'sentence', 1 'label'", unknown.Message);

        var outOfRange = Assert.Throws<UserErrorException>(() => ColumnResolver.Resolve(file, "2", "--text-col"));
        Assert.Contains("out of range", outOfRange.Message);
        Assert.Contains("2 column(s)", outOfRange.Message);
    }

    [Fact]
    public void By_default_the_label_is_the_column_named_label_and_the_text_the_column_with_the_longest_values()
    {
        var file = TabularFile.Inspect(Write("f.tsv", "id\tLABEL\tsentence\tsource\n1\tpos\ta long sentence about a film\tweb\n2\tneg\tanother rather long sentence\tweb\n"),
            "--dataset", true, null);
        var layout = ColumnResolver.ForTraining(file, new ColumnChoice(null, null, null));
        Assert.Equal(new TabularColumn(1, "LABEL"), layout.Label);
        Assert.Equal(new TabularColumn(2, "sentence"), layout.Text1);
        Assert.Null(layout.Text2);
    }

    [Fact]
    public void Without_a_label_column_named_label_the_error_asks_for_label_col()
    {
        var file = TabularFile.Inspect(Write("g.tsv", "text\tsentiment\nnice\tpos\n"), "--dataset", true, null);
        var error = Assert.Throws<UserErrorException>(() => ColumnResolver.ForTraining(file, new ColumnChoice(null, null, null)));
        Assert.Contains("--label-col", error.Message);
        Assert.Contains("0 'text', 1 'sentiment'", error.Message);
    }

    [Fact]
    public void The_same_column_cannot_be_label_and_text()
    {
        var file = TabularFile.Inspect(Write("h.tsv", "text\tlabel\nnice\tpos\n"), "--dataset", true, null);
        var error = Assert.Throws<UserErrorException>(() => ColumnResolver.ForTraining(file, new ColumnChoice("label", "1", null)));
        Assert.Contains("--label-col and --text-col both name column 1 'label'", error.Message);
    }

    [Fact]
    public void Another_file_is_matched_by_the_trained_names_when_it_has_a_header_else_by_position()
    {
        var trained = new ColumnLayout(new TabularColumn(1, "label"), new TabularColumn(0, "sentence"), null);

        var reordered = TabularFile.Inspect(Write("i.tsv", "label\tsentence\n1\tgood\n"), "--test-dataset", true, null);
        var byName = ColumnResolver.Like(reordered, trained, new ColumnChoice(null, null, null));
        Assert.Equal(new TabularColumn(0, "label"), byName.Label);
        Assert.Equal(new TabularColumn(1, "sentence"), byName.Text1);

        var headerless = TabularFile.Inspect(Write("j.tsv", "good\t1\n"), "--test-dataset", false, null);
        var byPosition = ColumnResolver.Like(headerless, trained, new ColumnChoice(null, null, null));
        Assert.Equal(new TabularColumn(1, "label"), byPosition.Label);
        Assert.Equal(new TabularColumn(0, "sentence"), byPosition.Text1);

        var renamed = TabularFile.Inspect(Write("k.tsv", "y\ttext\n1\tgood\n"), "--test-dataset", true, null);
        var missing = Assert.Throws<UserErrorException>(() => ColumnResolver.Like(renamed, trained, new ColumnChoice(null, null, null)));
        Assert.Contains("no column 'label'", missing.Message);
        var given = ColumnResolver.Like(renamed, trained, new ColumnChoice("y", "text", null));
        Assert.Equal(new TabularColumn(0, "label"), given.Label); // keeps the model's column name
    }

    [Fact]
    public void Missing_empty_and_header_only_files_and_bad_separators_are_reported()
    {
        Assert.Contains("does not exist", Assert.Throws<UserErrorException>(() => TabularFile.Inspect(_folder.File("none.tsv"), "--dataset", true, null)).Message);
        Assert.Contains("is empty", Assert.Throws<UserErrorException>(() => TabularFile.Inspect(Write("empty.tsv", ""), "--dataset", true, null)).Message);
        Assert.Contains("no data rows", Assert.Throws<UserErrorException>(() => TabularFile.Inspect(Write("header.tsv", "a\tb\n"), "--dataset", true, null)).Message);
        Assert.Contains("is a folder", Assert.Throws<UserErrorException>(() => TabularFile.Inspect(_folder.Path, "--dataset", true, null)).Message);
        Assert.Contains("--separator 'xy'", Assert.Throws<UserErrorException>(() => TabularFile.Inspect(Write("l.tsv", "a\tb\n1\t2\n"), "--dataset", true, "xy")).Message);
    }
}
