using System.CommandLine;
using System.CommandLine.Parsing;
using Microsoft.ML.DeltaLoRA;

namespace DeltaLoRA.Cli.Commands;

/// <summary>
/// <c>--threads N</c> of train, sweep, evaluate and predict: libtorch's CPU threads (<see cref="TorchThreads"/>) for training
/// and for scoring with the model the command loads.
/// </summary>
internal static class ThreadsOption
{
    public static Option<int?> Create()
    {
        var option = new Option<int?>("--threads")
        {
            Description = "CPU threads for libtorch. Default: its own count (the physical cores), at most the CPUs this process may use. "
                + "Beside other busy processes, fewer threads than cores can be much faster.",
            HelpName = "N",
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is int count && count is < 1 or > TorchThreads.MaxCount)
                result.AddError($"--threads must be between 1 and {TorchThreads.MaxCount}; found {count}.");
        });
        return option;
    }

    /// <summary>Makes --threads the count that models loaded from now on score with (process-wide, as libtorch's count is).</summary>
    public static void ApplyToScoring(int? threads)
    {
        if (threads is int count) TorchThreads.ScoringCount = count;
    }
}
