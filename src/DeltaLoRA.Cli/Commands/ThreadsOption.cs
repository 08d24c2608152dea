using System.CommandLine;
using System.CommandLine.Parsing;
using Microsoft.ML.DeltaLoRA;

namespace DeltaLoRA.Cli.Commands;

/// <summary>
/// <c>--threads N</c> of train, sweep, evaluate and predict: libtorch's CPU threads (<see cref="TorchThreads"/>) for training
/// and for scoring with the model the command loads, and ONNX Runtime's (<see cref="OnnxRuntimeThreads"/>) when that model scores
/// with ONNX Runtime.
/// </summary>
internal static class ThreadsOption
{
    public static Option<int?> Create()
    {
        var option = new Option<int?>("--threads")
        {
            Description = "CPU threads for libtorch, and for ONNX Runtime when the model scores with it. Default: their own count "
                + "(the physical cores; libtorch's at most the CPUs this process may use). "
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

    /// <summary>Makes --threads the count that models loaded from now on score with, by either engine (process-wide, as libtorch's count is).</summary>
    public static void ApplyToScoring(int? threads)
    {
        if (threads is not int count) return;
        TorchThreads.ScoringCount = count;
        OnnxRuntimeThreads.ScoringCount = count;
    }
}
