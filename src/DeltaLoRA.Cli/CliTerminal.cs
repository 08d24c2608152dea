using Spectre.Console;

namespace DeltaLoRA.Cli;

/// <summary>
/// Where the app writes: standard output and error, and whether they are an interactive terminal (progress bar, colours)
/// or a file, a pipe or a CI log (plain lines). Tests pass string writers.
/// </summary>
internal sealed record CliTerminal(TextWriter Output, TextWriter Error, bool Interactive)
{
    /// <summary>Width used for tables when the output is not a terminal, so that captured output is not wrapped at 80 columns.</summary>
    private const int NonTerminalWidth = 160;

    /// <summary>Canceled by the user (the first Ctrl+C); a canceled command writes no output files.</summary>
    public CancellationToken Cancellation { get; init; }

    public static CliTerminal FromSystemConsole()
    {
        bool ci = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));
        bool interactive = !ci && !Console.IsOutputRedirected && !Console.IsErrorRedirected;
        var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // The first Ctrl+C asks the command to stop cleanly; a second one ends the process at once.
            e.Cancel = !cancellation.IsCancellationRequested;
            cancellation.Cancel();
        };
        return new CliTerminal(Console.Out, Console.Error, interactive) { Cancellation = cancellation.Token };
    }

    /// <summary>A Spectre.Console writer over <paramref name="writer"/>: ANSI and live rendering only on an interactive terminal.</summary>
    public IAnsiConsole CreateConsole(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = Interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = Interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = Interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!Interactive) console.Profile.Width = NonTerminalWidth;
        return console;
    }
}
