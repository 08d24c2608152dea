using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Cli;

/// <summary>Data that a run would read in a way the user did not mean is reported on standard error, never silently used.</summary>
public sealed class CliDataWarningTests : IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private CliRun Train(params string[] args) => CliRun.Of(["train", "--model", CliTrainingFixture.RobertaFolder, "--out", _folder.File("m.zip"), "--epochs", "1", "--examples", "0", .. args]);

    /// <summary>SST-2 sentences with their labels written as <paramref name="positive"/> and <paramref name="negative"/> in turn.</summary>
    private string Sst2With(string name, string[] positive, string[] negative)
    {
        var rows = File.ReadLines(CliTrainingFixture.Sst2Train).Skip(1).Take(60).Select(l => l.Split('\t')).ToArray();
        return _folder.WriteFile(name, string.Join('\n', [
            "sentence\tlabel",
            .. rows.Select((r, i) => $"{r[0]}\t{(r[1] == "1" ? positive[i % positive.Length] : negative[i % negative.Length])}"),
        ]) + "\n");
    }

    [SharedFact]
    public void Labels_that_differ_only_in_whitespace_case_or_number_form_are_named_in_a_warning()
    {
        var data = Sst2With("near.tsv", ["pos", "pos ", "Pos"], ["0", "0.0"]);
        var run = Train("--dataset", data, "--test-fraction", "0.25").Succeeded();
        var warnings = run.Error.Split('\n').Where(l => l.StartsWith("warning: the labels ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, warnings.Length);
        var words = Assert.Single(warnings, w => w.Contains("'pos '", StringComparison.Ordinal));
        Assert.Contains("'pos'", words);
        Assert.Contains("'Pos'", words);
        Assert.Contains($"of '{data}' differ only in whitespace, letter case or how a number is written, and are 3 different classes", words);
        var numbers = Assert.Single(warnings, w => w.Contains("'0.0'", StringComparison.Ordinal));
        Assert.Contains("'0', '0.0'", numbers);
        Assert.Contains("2 different classes", numbers);
        Assert.Contains("Labels: 5 classes", run.Output);

        var distinct = Sst2With("distinct.tsv", ["positive"], ["negative"]);
        Assert.DoesNotContain("warning: the labels", Train("--dataset", distinct, "--test-fraction", "0.25").Succeeded().Error);
    }
}
