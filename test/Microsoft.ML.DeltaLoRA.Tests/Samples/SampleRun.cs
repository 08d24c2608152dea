using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;

namespace Microsoft.ML.DeltaLoRA.Tests.Samples;

/// <summary>
/// Runs a built sample (samples/NAME) as its own process, <c>dotnet NAME.dll args</c>, exactly as a user runs it, in a fresh
/// working folder that receives what it writes. The test project references the samples (without their assemblies) so that
/// building the tests builds them; the sample is taken from its own bin folder, same configuration and framework as the tests.
/// </summary>
internal sealed class SampleRun : IDisposable
{
    private SampleRun(string folder, string output)
    {
        Folder = folder;
        Output = output;
        Lines = output.Split('\n', StringSplitOptions.TrimEntries);
    }

    /// <summary>The sample's working folder: its relative outputs land here.</summary>
    public string Folder { get; }

    public string Output { get; }

    public string[] Lines { get; }

    /// <summary>Runs the sample, fails the test unless it exits with 0 within five minutes, and returns its standard output.</summary>
    public static SampleRun Start(string sample, params string[] arguments)
    {
        var program = ProgramPath(sample);
        Assert.True(File.Exists(program), $"Expected the built sample at {program}; build the test project (it builds the samples).");
        var folder = Directory.CreateTempSubdirectory($"deltalora-sample-{sample}-").FullName;
        var start = new ProcessStartInfo(DotnetHost) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments.Prepend(program)) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"The {sample} sample did not finish within 5 minutes. Output so far:\n{output.Result}");
        }
        Assert.True(process.ExitCode == 0, $"The {sample} sample exited with {process.ExitCode}:\n{output.Result}\n{error.Result}");
        return new SampleRun(folder, output.Result);
    }

    /// <summary>The number printed after "<paramref name="label"/>: " on the one line that starts so (the sample's culture is ours).</summary>
    public double Number(string label)
    {
        var line = Assert.Single(Lines, l => l.StartsWith(label + ": ", StringComparison.Ordinal));
        return double.Parse(line[(label.Length + 2)..], NumberStyles.Float, CultureInfo.CurrentCulture);
    }

    /// <summary>Every match of <paramref name="pattern"/> over the output's lines, in order.</summary>
    public Match[] Matches(string pattern) => Lines.Select(l => Regex.Match(l, pattern)).Where(m => m.Success).ToArray();

    public string PathOf(string name) => Path.Combine(Folder, name);

    /// <summary>Loads the model zip the sample saved, as another app would, and returns its predicted label for each row.</summary>
    public string[] PredictLabels<TRow>(string modelFile, IEnumerable<TRow> rows) where TRow : class
    {
        var ml = new MLContext(seed: 5);
        var model = ml.Model.Load(PathOf(modelFile), out _);
        var scored = model.Transform(ml.Data.LoadFromEnumerable(rows));
        return ml.Data.CreateEnumerable<PredictedLabelRow>(scored, reuseRowObject: false).Select(row => row.PredictedLabel).ToArray();
    }

    /// <summary>The share of <paramref name="predicted"/> equal to <paramref name="truth"/>, counted by hand.</summary>
    public static double Accuracy(IEnumerable<string> predicted, IEnumerable<string> truth) => predicted.Zip(truth, (p, t) => p == t ? 1.0 : 0.0).Average();

    /// <summary>What a number printed with four decimals may differ by from the exact value.</summary>
    public const double FourDecimals = 0.00005 + 1e-9;

    public void Dispose() => Directory.Delete(Folder, recursive: true);

    /// <summary>A small GLUE subset in ../shared/data/small.</summary>
    public static string SmallData(string file) => SharedData.PathOf("data", "small", file);

    /// <summary>
    /// Runs the sample on a tiny random-weight Hugging Face classifier of ../shared/fixtures/hf (<paramref name="model"/>, e.g.
    /// "bert/BertForSequenceClassification") for one epoch, with inputs cut to the 64 positions the tiny models have.
    /// </summary>
    public static SampleRun OnTinyModel(string sample, string model, string trainFile, string testFile, params string[] arguments)
        => Start(sample, ["--model", SharedData.PathOf("fixtures", "hf", model), "--train", trainFile, "--test", testFile,
            "--epochs", "1", "--max-tokens", "64", .. arguments]);

    /// <summary>The data rows of a tab-separated file with a header, split into columns (the files are not quoted).</summary>
    public static string[][] ReadRows(string path) => File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split('\t')).ToArray();

    /// <summary>The dotnet host that runs the tests (or the one on PATH), to run a sample's dll.</summary>
    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>samples/NAME/bin/CONFIGURATION/FRAMEWORK/NAME.dll: the tests' own bin folder, relative to their project, under the sample's.</summary>
    public static string ProgramPath(string sample)
    {
        var root = RepositoryRoot();
        var testProject = Path.Combine(root, "test", typeof(SampleRun).Assembly.GetName().Name!);
        var binFolder = Path.GetRelativePath(testProject, AppContext.BaseDirectory);
        return Path.GetFullPath(Path.Combine(root, "samples", sample, binFolder, sample + ".dll"));
    }

    private sealed class PredictedLabelRow
    {
        public string PredictedLabel { get; set; } = "";
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Microsoft.ML.DeltaLoRA.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No Microsoft.ML.DeltaLoRA.sln above {AppContext.BaseDirectory}.");
    }
}
