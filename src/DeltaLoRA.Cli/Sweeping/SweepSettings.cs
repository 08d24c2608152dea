using DeltaLoRA.Cli.Training;

namespace DeltaLoRA.Cli.Sweeping;

/// <summary>Everything <c>sweep</c> was asked to do: the data and model (as for <c>train</c>), the budget and where the results go.</summary>
internal sealed record SweepSettings(TrainSettings Input, double? MaxSeconds, int? MaxTrials, string Out, bool Json)
{
    public const string DefaultOut = "sweep/model.zip";
}
