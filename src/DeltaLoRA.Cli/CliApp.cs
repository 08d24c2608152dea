using System.CommandLine;
using System.Reflection;
using DeltaLoRA.Cli.Commands;

namespace DeltaLoRA.Cli;

/// <summary>The <c>deltalora</c> command line: train, evaluate, predict, sweep, fetch-model, export. <see cref="Run"/> is the whole program.</summary>
internal static class CliApp
{
    public const int Success = 0;
    public const int UserError = 1;
    public const int UsageError = 2;
    public const int InternalError = 3;
    public const int Canceled = 130;

    public static int Run(string[] args, CliTerminal terminal)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(terminal);
        var verbose = new Option<bool>("--verbose") { Description = "Show the library's log messages, and stack traces with errors.", Recursive = true };
        var root = new RootCommand("Fine-tune pretrained transformer text classifiers with Delta-LoRA, LoRA or full fine-tuning (ML.NET on TorchSharp).")
        {
            verbose,
            TrainCommand.Create(terminal),
            EvaluateCommand.Create(terminal),
            PredictCommand.Create(terminal),
            SweepCommand.Create(terminal),
            FetchModelCommand.Create(terminal),
            ExportCommand.Create(terminal),
            ImportPeftCommand.Create(terminal),
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) terminal.Error.WriteLine($"error: {UsageErrors.Readable(error.Message)}");
            var command = parsed.CommandResult.Command == root ? "" : parsed.CommandResult.Command.Name + " ";
            terminal.Error.WriteLine($"Run 'deltalora {command}--help' for the options.");
            return UsageError;
        }

        bool showTraces = parsed.GetValue(verbose);
        try
        {
            return parsed.Invoke(new InvocationConfiguration
            {
                Output = terminal.Output,
                Error = terminal.Error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            });
        }
        catch (Exception thrown)
        {
            var error = Unwrap(thrown);
            if (error is OperationCanceledException && terminal.Cancellation.IsCancellationRequested)
            {
                terminal.Error.WriteLine("canceled: no output was written.");
                return Canceled;
            }
            if (IsUserError(error))
            {
                terminal.Error.WriteLine($"error: {error.Message}");
                if (showTraces) terminal.Error.WriteLine(error);
                return UserError;
            }
            terminal.Error.WriteLine($"internal error: {error}");
            return InternalError;
        }
    }

    /// <summary>Exceptions that describe bad input (the library throws these, naming the file, column or option), not a bug.</summary>
    private static bool IsUserError(Exception error) => error is UserErrorException or (ArgumentException and not ArgumentNullException) or InvalidDataException
        or InvalidOperationException or IOException or UnauthorizedAccessException or FormatException or OperationCanceledException or TimeoutException;

    private static Exception Unwrap(Exception error)
    {
        while (error is TargetInvocationException or AggregateException { InnerExceptions.Count: 1 } && error.InnerException is not null)
            error = error.InnerException;
        return error;
    }
}
