using System.Diagnostics;
using System.Globalization;
using DeltaLoRA.Cli;
using Output = DeltaLoRA.Cli.Output;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Cli;

/// <summary>No run ends with exit code 0 and a wrong result, and no finished work is lost: divergence, odd rows, --out problems, interrupts.</summary>
public sealed class CliReliabilityTests : IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private CliRun Train(string output, params string[] args) => CliRun.Of(["train", "--model", CliTrainingFixture.RobertaFolder, "--out", output, .. args]);

    [SharedFact]
    public void A_diverging_run_stops_naming_the_step_and_saves_nothing()
    {
        var run = Train(_folder.File("m.zip"), "--dataset", CliTrainingFixture.Sst2Train, "--epochs", "2", "--learning-rate", "1e6");
        run.FailedWith("Training diverged at optimizer step ", "Try a lower learning rate");
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder.Path));
    }

    /// <summary>Quoted fields with line breaks stay one row; rows without a label are left out and reported, and the header counts only the rows used.</summary>
    [SharedFact]
    public void A_csv_with_multiline_fields_and_missing_labels_trains_on_exactly_its_labelled_rows()
    {
        var rows = File.ReadLines(CliTrainingFixture.Sst2Train).Skip(1).Take(60).Select(l => l.Split('\t')).ToArray();
        var csv = _folder.File("multiline.csv");
        File.WriteAllLines(csv, [
            "sentence,label",
            .. rows.Select((r, i) => $"\"{(i % 3 == 0 ? r[0].Replace(" ", "\n", StringComparison.Ordinal) : r[0]).Replace("\"", "\"\"", StringComparison.Ordinal)}\",{r[1]}"),
            "\"no label, so left out\",",
            "\"a NaN label is missing too\",NaN",
        ]);
        var run = Train(_folder.File("m.zip"), "--dataset", csv, "--test-fraction", "0.25", "--epochs", "1").Succeeded();
        Assert.Contains("Labels: 2 classes in column 'label'", run.Output);
        Assert.Contains($"warning: skipped 2 of 62 rows of '{csv}': 2 with a missing label (empty or NaN) (first on line ", run.Error);
        var trainRows = int.Parse(System.Text.RegularExpressions.Regex.Match(run.Output, @"training on (\d+) rows").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(trainRows, 35, 55); // 60 labelled rows less the held-out quarter (ML.NET's split is approximate)
    }

    [SharedFact]
    public void An_out_path_under_a_regular_file_is_refused_before_training()
    {
        var file = _folder.File("plain.txt");
        File.WriteAllText(file, "x");
        var run = Train(Path.Combine(file, "sub", "m.zip"), "--dataset", CliTrainingFixture.Sst2Train);
        run.FailedWith($"'{file}' is a file, so it cannot hold the folder");
        Assert.Equal("", run.Output);
    }

    [SharedFact]
    public void An_out_folder_that_cannot_be_written_is_refused_before_training()
    {
        // /proc refuses new entries even to root, for whom permission bits would not.
        var run = Train("/proc/deltalora-test/m.zip", "--dataset", CliTrainingFixture.Sst2Train);
        run.FailedWith("--out '/proc/deltalora-test/m.zip': the folder '/proc/deltalora-test' cannot be written");
        Assert.Equal("", run.Output);
    }

    /// <summary>--out, or the loss curve beside it, naming a data file of the run (directly or through links) would replace the data.</summary>
    [SharedFact]
    public void An_out_that_is_an_input_file_is_refused_before_training_and_the_data_is_kept()
    {
        var data = _folder.File("t.tsv");
        File.Copy(CliTrainingFixture.Sst2Train, data);
        var original = File.ReadAllBytes(data);
        var linkToData = _folder.File("link.zip");
        File.CreateSymbolicLink(linkToData, data);
        var linkedFolder = _folder.File("linked");
        Directory.CreateSymbolicLink(linkedFolder, _folder.Path);

        foreach (var output in new[] { data, linkToData, Path.Combine(linkedFolder, "t.tsv") })
        {
            var run = Train(output, "--dataset", data);
            run.FailedWith($"--out '{output}' is the --dataset file '{data}', which this run reads; choose another --out");
            Assert.Equal("", run.Output);
        }
        var lossNamed = _folder.File("m.loss.csv");
        File.Copy(CliTrainingFixture.Sst2Eval, lossNamed);
        Train(_folder.File("m.zip"), "--dataset", data, "--test-dataset", lossNamed)
            .FailedWith($"would write its loss curve ('{lossNamed}') over the --test-dataset file");
        CliRun.Of("sweep", "--model", CliTrainingFixture.RobertaFolder, "--dataset", data, "--out", linkToData, "--max-trials", "1")
            .FailedWith($"--out '{linkToData}' is the --dataset file");

        Assert.Equal(original, File.ReadAllBytes(data));
        Assert.False(File.Exists(_folder.File("m.zip")));
    }

    /// <summary>A hard link is no symbolic link to follow: it is the same file (device and inode) under another name.</summary>
    [SharedFact]
    public void An_out_that_is_a_hard_link_of_an_input_file_is_refused_and_the_data_is_kept()
    {
        var data = _folder.File("t.tsv");
        File.Copy(CliTrainingFixture.Sst2Train, data);
        var original = File.ReadAllBytes(data);
        var hardLink = _folder.File("hard.zip");
        var linked = Process.Start("ln", [data, hardLink]);
        linked.WaitForExit();
        Assert.Equal(0, linked.ExitCode);

        Train(hardLink, "--dataset", data).FailedWith($"--out '{hardLink}' is the --dataset file '{data}', which this run reads; choose another --out");
        var lossLink = _folder.File("m.loss.csv");
        Process.Start("ln", [data, lossLink]).WaitForExit();
        Train(_folder.File("m.zip"), "--dataset", data).FailedWith($"would write its loss curve ('{lossLink}') over the --dataset file '{data}'");

        Assert.Equal(original, File.ReadAllBytes(data));
        Assert.False(File.Exists(_folder.File("m.zip")));
    }

    [SharedFact]
    public void A_failed_run_leaves_no_folder_it_created_for_out()
    {
        var created = _folder.File("new");
        Train(Path.Combine(created, "deeper", "m.zip"), "--dataset", CliTrainingFixture.Sst2Train, "--label-col", "nope").FailedWith("--label-col 'nope'");
        Assert.False(Directory.Exists(created), "the folders made for --out were left");
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder.Path));
    }

    /// <summary>m.zip and m.bin share m.loss.csv and m.loss.png: a run replacing another model's loss files says so.</summary>
    [SharedFact]
    public void Loss_files_of_another_model_with_the_same_stem_are_replaced_with_a_warning()
    {
        var (csv, png) = (_folder.WriteFile("m.loss.csv", "another model's"), _folder.WriteFile("m.loss.png", "another model's"));
        var data = _folder.WriteFile("small.tsv", string.Join('\n', File.ReadLines(CliTrainingFixture.Sst2Train).Take(41)) + "\n");
        var run = Train(_folder.File("m.bin"), "--dataset", data, "--epochs", "1", "--examples", "0").Succeeded();
        Assert.Contains($"warning: '{csv}' and '{png}' exist without '{_folder.File("m.bin")}': another model's, with the same name stem? This run replaces them.", run.Error);
        Assert.StartsWith(Output.LossCurve.CsvHeader, File.ReadAllText(csv));

        var again = Train(_folder.File("m.bin"), "--dataset", data, "--epochs", "1", "--examples", "0").Succeeded();
        Assert.DoesNotContain("exist without", again.Error); // its own loss files, beside its own model
    }

    [SharedFact]
    public void A_second_run_with_the_same_out_stops_before_training()
    {
        var model = _folder.File("m.zip");
        using (new FileStream(_folder.File(".m.zip.lock"), FileMode.Create, FileAccess.ReadWrite, FileShare.None))
        {
            var run = Train(model, "--dataset", CliTrainingFixture.Sst2Train);
            run.FailedWith($"--out '{model}' is being written by another deltalora run");
            Assert.Equal("", run.Output);
        }
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void An_unparsable_number_says_what_was_expected_in_words()
    {
        var run = CliRun.Of("train", "--learning-rate", "fast", "--rank", "1.5");
        Assert.Equal(CliApp.UsageError, run.ExitCode);
        Assert.Contains("'fast' for option '--learning-rate'; expected a number such as 0.001 or 1e-3", run.Error);
        Assert.Contains("'1.5' for option '--rank'; expected a whole number", run.Error);
        Assert.DoesNotContain("System.", run.Error);
    }

    /// <summary>
    /// An interrupt while training: the run says it was cancelled, exits with 130 and leaves no file behind. The test sends
    /// SIGTERM, which goes to the same handler as Ctrl-C's SIGINT: a runner started in the background (nohup, a CI shell
    /// without job control) passes SIGINT on as ignored, and .NET then never sees it.
    /// </summary>
    [SharedFact]
    public void An_interrupt_during_training_cancels_the_run_and_leaves_no_files()
    {
        var program = Path.Combine(AppContext.BaseDirectory, "deltalora.dll");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { program, "train", "--model", CliTrainingFixture.RobertaFolder, "--dataset", CliTrainingFixture.Sst2Train, "--epochs", "100", "--out", _folder.File("m.zip") })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var training = new ManualResetEventSlim();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            output.Enqueue(e.Data);
            if (e.Data.StartsWith('[')) training.Set(); // the first progress line: training is under way
        };
        process.BeginOutputReadLine();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            Assert.True(training.Wait(TimeSpan.FromMinutes(3)), $"No progress line within 3 minutes; output:\n{string.Join('\n', output)}");
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "The interrupted run did not stop within a minute.");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        process.WaitForExit();
        Assert.True(process.ExitCode == CliApp.Canceled, $"exit code {process.ExitCode}; output:\n{string.Join('\n', output)}\nerror:\n{error.Result}");
        Assert.Contains(output, l => l.StartsWith("Cancelled by an interrupt (Ctrl-C or SIGTERM) after ", StringComparison.Ordinal) && l.EndsWith("nothing was saved.", StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder.Path));
    }
}
