using Microsoft.ML;
using Microsoft.ML.Runtime;
using Spectre.Console;

namespace DeltaLoRA.Cli.Output;

/// <summary>Shows the library's messages from <c>MLContext.Log</c>: warnings and errors always, informational lines with --verbose.</summary>
internal static class LibraryLog
{
    /// <param name="ml">The context whose log to show.</param>
    /// <param name="console">Where to write.</param>
    /// <param name="verbose">Whether to show informational lines too.</param>
    /// <param name="components">The library components to show (ML.NET's own components are left out).</param>
    public static void Attach(MLContext ml, IAnsiConsole console, bool verbose, params string[] components)
        => ml.Log += (_, e) =>
        {
            bool ours = components.Any(c => e.Source.Contains(c, StringComparison.Ordinal));
            if (ours && (e.Kind is ChannelMessageKind.Warning or ChannelMessageKind.Error || verbose && e.Kind == ChannelMessageKind.Info))
                console.WriteLine($"[{e.Kind.ToString().ToLowerInvariant()}] {e.Message}");
        };
}
