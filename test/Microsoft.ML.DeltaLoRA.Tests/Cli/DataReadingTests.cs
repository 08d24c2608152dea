using System.Diagnostics;
using System.Text;
using DeltaLoRA.Cli;
using DeltaLoRA.Cli.Data;
using DeltaLoRA.Cli.Training;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Cli;

/// <summary>What rows the CLI reads from a data file: RFC 4180 records, rows left out (always counted, with why), bad bytes.</summary>
public sealed class DataReadingTests : IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Write(string name, string content) => _folder.WriteFile(name, content);

    private static readonly ColumnLayout TextThenLabel = new(new TabularColumn(1, "label"), new TabularColumn(0, "text"), null);

    private static List<(string Label, string Text)> Read(TabularRows rows)
    {
        var result = new List<(string, string)>();
        using var cursor = rows.Data.GetRowCursor(rows.Data.Schema);
        var label = cursor.GetGetter<ReadOnlyMemory<char>>(rows.Data.Schema["label"]);
        var text = cursor.GetGetter<ReadOnlyMemory<char>>(rows.Data.Schema["text"]);
        ReadOnlyMemory<char> l = default, t = default;
        while (cursor.MoveNext())
        {
            label(ref l);
            text(ref t);
            result.Add((l.ToString(), t.ToString()));
        }
        return result;
    }

    [Fact]
    public void A_quoted_csv_field_with_line_breaks_is_one_field_of_one_row()
    {
        var path = Write("multi.csv", "text,label\n\"first line\nsecond, line\nthird \"\"line\"\"\",pos\nplain,neg\r\n\"a\r\nb\",neg\n");
        var file = TabularFile.Inspect(path, "--dataset", hasHeader: true, separator: null);
        var rows = TabularData.Load(new MLContext(1), file, TextThenLabel, TaskKind.Classification);

        Assert.Equal([("pos", "first line\nsecond, line\nthird \"line\""), ("neg", "plain"), ("neg", "a\r\nb")], Read(rows));
        Assert.Equal(0, rows.Skipped.Count);
        Assert.Equal([2, 5, 6], file.Rows.Select(r => r.LineNumber));
    }

    /// <summary>An RFC 4180 reader reads from a quote that is never closed to the end of the file as one field.</summary>
    [Fact]
    public void A_csv_whose_quote_is_never_closed_is_refused_naming_the_line()
    {
        var rows = Enumerable.Range(1, 255).Select(i => i == 10 ? "\"an opening quote, never closed,pos" : $"row {i} with \"\"quoted\"\" words,{(i % 2 == 0 ? "pos" : "neg")}");
        var path = Write("unclosed.csv", string.Join('\n', ["text,label", .. rows]) + "\n");
        var error = Assert.Throws<UserErrorException>(() => TabularFile.Inspect(path, "--dataset", hasHeader: true, separator: null));
        Assert.Equal($"--dataset '{path}': the quote on line 11 is never closed, so lines 11–256 would be read as one field and their records lost. " +
            "Close the quote, or write a quote inside a field as two (\"\"), as RFC 4180 does.", error.Message);

        // Quotes closed, or a tab-separated file (quotes are ordinary characters there): every record is read.
        var closed = Write("closed.csv", "text,label\n\"one, \"\"two\"\"\",pos\n\"three\nfour\",neg\nfive,pos\n");
        Assert.Equal(3, TabularFile.Inspect(closed, "--dataset", true, null).Rows.Count);
        var tsv = Write("stray.tsv", "text\tlabel\n\"a stray quote\tpos\nb\tneg\n");
        Assert.Equal(2, TabularFile.Inspect(tsv, "--dataset", true, null).Rows.Count);
    }

    [Fact]
    public void Columns_named_alike_are_named_in_a_note()
    {
        var path = Write("twice.tsv", "text\tlabel\ttext\tlabel\tother\na\tpos\tb\tneg\tc\n");
        var file = TabularFile.Inspect(path, "--dataset", true, null);
        var rows = TabularData.Load(new MLContext(1), file, TextThenLabel, TaskKind.Classification);
        var note = Assert.Single(TabularData.RequireRows(rows, file, "--dataset", TextThenLabel, TaskKind.Classification));
        Assert.Equal($"'{path}' names more than one column alike: 'text' (columns 0, 2); 'label' (columns 1, 3). A name finds its first column; name another by its 0-based index.", note);
    }

    [Fact]
    public void Rows_without_a_usable_label_are_left_out_and_counted_by_reason()
    {
        var path = Write("gaps.tsv", "text\tlabel\ngood one\tpos\nno label\t\nnan label\tNaN\nshort row\nbad one\tneg\n   \t pos\n");
        var file = TabularFile.Inspect(path, "--dataset", true, null);
        var rows = TabularData.Load(new MLContext(1), file, TextThenLabel, TaskKind.Classification);

        Assert.Equal([("pos", "good one"), ("neg", "bad one"), (" pos", "   ")], Read(rows));
        Assert.Equal(3, rows.Count);
        Assert.Equal(2, rows.Skipped.CountOf(SkippedRows.MissingLabel));
        Assert.Equal(1, rows.Skipped.CountOf(SkippedRows.TooFewFields(2)));
        var notes = TabularData.RequireRows(rows, file, "--dataset", TextThenLabel, TaskKind.Classification);
        var note = Assert.Single(notes);
        Assert.Contains($"skipped 3 of 6 rows of '{file.Path}'", note);
        Assert.Contains("2 with a missing label (empty or NaN) (first on line 3)", note);
        Assert.Contains("1 with fewer than 2 fields (line 5)", note);
    }

    [Fact]
    public void Regression_rows_whose_label_is_not_a_number_are_left_out_and_a_file_without_numbers_is_refused()
    {
        var layout = new ColumnLayout(new TabularColumn(1, "score"), new TabularColumn(0, "text"), null);
        var mixed = TabularFile.Inspect(Write("mixed.tsv", "text\tscore\na\t1.5\nb\thigh\nc\t-2e1\n"), "--dataset", true, null);
        var rows = TabularData.Load(new MLContext(1), mixed, layout, TaskKind.Regression);
        Assert.Equal(2, rows.Count);
        Assert.Equal(1, rows.Skipped.CountOf(SkippedRows.LabelNotANumber));
        Assert.Contains("such as 'high' (line 3)", Assert.Single(TabularData.RequireRows(rows, mixed, "--dataset", layout, TaskKind.Regression)));

        var words = TabularFile.Inspect(Write("words.tsv", "text\tscore\na\thigh\nb\tlow\n"), "--dataset", true, null);
        var none = TabularData.Load(new MLContext(1), words, layout, TaskKind.Regression);
        var error = Assert.Throws<UserErrorException>(() => TabularData.RequireRows(none, words, "--dataset", layout, TaskKind.Regression));
        Assert.Contains("has no numbers (for example 'high')", error.Message);
    }

    [Fact]
    public void Rows_whose_class_the_model_does_not_know_are_counted_and_none_left_is_an_error()
    {
        var path = Write("unseen.tsv", "text\tlabel\na\tpos\nb\tmaybe\nc\tneg\nd\tmaybe\n");
        var file = TabularFile.Inspect(path, "--dataset", true, null);
        var rows = TabularData.Load(new MLContext(1), file, TextThenLabel, TaskKind.Classification, new HashSet<string> { "pos", "neg" });
        Assert.Equal([("pos", "a"), ("neg", "c")], Read(rows));
        Assert.Equal(2, rows.Skipped.CountOf(SkippedRows.UnknownLabel));
        Assert.Contains("2 with a label the model was not trained on such as 'maybe' (first on line 3)",
            Assert.Single(TabularData.RequireRows(rows, file, "--dataset", TextThenLabel, TaskKind.Classification)));

        var none = TabularData.Load(new MLContext(1), file, TextThenLabel, TaskKind.Classification, new HashSet<string> { "yes", "no" });
        var error = Assert.Throws<UserErrorException>(() => TabularData.RequireRows(none, file, "--dataset", TextThenLabel, TaskKind.Classification));
        Assert.Contains("has no usable rows: skipped 4 of 4 rows", error.Message);
    }

    [Fact]
    public void Bytes_that_are_not_utf8_are_reported_with_their_line()
    {
        var path = _folder.File("latin1.tsv");
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetBytes("text\tlabel\nfine\tpos\ncaf"), 0xE9, .. Encoding.UTF8.GetBytes("\tneg\n")]);
        var file = TabularFile.Inspect(path, "--dataset", true, null);
        Assert.NotNull(file.EncodingWarning);
        Assert.Contains("is not valid UTF-8: line 3 (byte 23)", file.EncodingWarning);

        var clean = TabularFile.Inspect(Write("utf8.tsv", "\uFEFFtext\tlabel\ncafé\tpos\n"), "--dataset", true, null);
        Assert.Null(clean.EncodingWarning);
        Assert.Equal(["text", "label"], clean.ColumnNames);
    }

    [Fact]
    public void A_binary_file_is_refused_as_not_text()
    {
        var path = _folder.File("model.bin");
        File.WriteAllBytes(path, [0x50, 0x4B, 0x03, 0x04, 0x00, 0x00, 0x08, 0x00, .. Enumerable.Repeat((byte)0x41, 100)]);
        var error = Assert.Throws<UserErrorException>(() => TabularFile.Inspect(path, "--dataset", true, null));
        Assert.Contains($"--dataset '{path}' is not a text file", error.Message);
    }

    /// <summary>
    /// A pipe or a device has no end a reader can wait for (a writer may never stop, /dev/zero never does): only regular
    /// files are read. The pipe here has a writer with two rows, which a reader of any file would have taken.
    /// </summary>
    [Fact]
    public void A_pipe_or_a_device_is_refused_unread()
    {
        var pipe = _folder.File("rows.tsv");
        using (var mkfifo = Process.Start("mkfifo", [pipe])) mkfifo.WaitForExit();
        using var writer = Process.Start("sh", ["-c", $"printf 'text\\tlabel\\na\\tpos\\nb\\tneg\\n' > '{pipe}'"]);
        try
        {
            var error = Assert.Throws<UserErrorException>(() => TabularFile.Inspect(pipe, "--dataset", true, null));
            Assert.Equal($"--dataset '{pipe}' has nothing to read: it is empty, or not a regular file (a device, a pipe or a /proc file); expected a .tsv or .csv file.", error.Message);
        }
        finally
        {
            if (!writer.HasExited) writer.Kill();
        }
        Assert.Contains("not a regular file", Assert.Throws<UserErrorException>(() => TabularFile.Inspect("/dev/zero", "--dataset", true, null)).Message);
    }

    [Fact]
    public void A_line_over_1_MiB_is_refused_naming_the_file_and_the_line()
    {
        var path = Write("long.tsv", $"text\tlabel\nshort\tpos\n{new string('x', DataFileText.MaxLineBytes)}\tneg\nshort\tneg\n");
        var error = Assert.Throws<UserErrorException>(() => TabularFile.Inspect(path, "--dataset", true, null));
        Assert.Equal($"--dataset '{path}': line 3 is 1,048,580 bytes long, more than the 1,048,576 a line may have; expected a data file of text rows, one per line.", error.Message);

        var longest = Write("longest.tsv", $"text\tlabel\n{new string('x', DataFileText.MaxLineBytes - 4)}\tpos\nb\tneg\n");
        Assert.Equal(2, TabularFile.Inspect(longest, "--dataset", true, null).Rows.Count);
    }

    /// <summary>GLUE's MRPC has a byte order mark and stray quotes inside fields: a tab-separated file is read without quoting.</summary>
    [SharedFact]
    public void Glue_mrpc_with_stray_quotes_reads_one_record_per_line()
    {
        var path = SharedData.PathOf("data", "glue", "mrpc", "train.tsv");
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        var file = TabularFile.Inspect(path, "--dataset", true, null);
        Assert.Equal(lines.Length - 1, file.Rows.Count);
        Assert.Equal(lines[0].TrimStart('\uFEFF').Split('\t'), file.ColumnNames);
        var quoted = Array.FindIndex(lines, l => l.Contains('"'));
        Assert.True(quoted > 0, "the file should have a line with a quote");
        Assert.Equal(lines[quoted].Split('\t'), file.Rows[quoted - 1].Fields);
        Assert.All(file.Rows, r => Assert.Equal(5, r.Fields.Length));
    }
}
