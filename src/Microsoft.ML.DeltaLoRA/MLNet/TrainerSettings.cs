using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Training;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// What one <c>Fit</c> runs with, fixed when it starts: a copy of the options (columns, model, validation, inference batch size)
/// and the engine's <see cref="FineTuningSettings"/>. <see cref="From"/> is where the options are validated, once.
/// </summary>
internal sealed record TrainerSettings(DeltaLoRAOptions Options, FineTuningSettings FineTuning)
{
    /// <summary>Checks every option (one exception listing every problem) and fixes their values for this fit.</summary>
    public static TrainerSettings From(DeltaLoRAOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        if (options.ModelPath is { } path && !Directory.Exists(path) && NamedModels.Find(path) is null)
            problems.Add(new(nameof(DeltaLoRAOptions.ModelPath), $"'{path}', which does not exist",
                $"a local model folder or a model name ({string.Join(", ", NamedModels.All.Select(m => m.Name))})"));
        OptionProblem.ThrowIfAny(problems);
        var copy = (DeltaLoRAOptions)options.Clone();
        return new TrainerSettings(copy, FineTuningSettings.FromValid(copy));
    }
}
