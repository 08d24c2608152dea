using System.Text.Json;
using DeltaLoRA.Cli;

namespace Microsoft.ML.DeltaLoRA.Tests.Cli;

/// <summary>One call of the CLI's entry point in this process, with the real argument parsing, capturing both output streams.</summary>
public sealed record CliRun(int ExitCode, string Output, string Error)
{
    public static CliRun Of(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = CliApp.Run(args, new CliTerminal(output, error, Interactive: false));
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }

    public string[] OutputLines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The last line of standard output, parsed (what --json prints).</summary>
    public JsonElement Json => JsonDocument.Parse(OutputLines[^1]).RootElement;

    public CliRun Succeeded()
    {
        Assert.True(ExitCode == 0, $"exit code {ExitCode}; standard error:\n{Error}\nstandard output:\n{Output}");
        return this;
    }

    /// <summary>Asserts a user error: exit code 1, the message on standard error, and no stack trace.</summary>
    public void FailedWith(params string[] fragments)
    {
        Assert.True(ExitCode == CliApp.UserError, $"expected exit code 1, found {ExitCode}; standard error:\n{Error}");
        foreach (var fragment in fragments) Assert.Contains(fragment, Error);
        Assert.DoesNotContain("   at ", Error);
        Assert.StartsWith("error: ", Error);
    }
}
