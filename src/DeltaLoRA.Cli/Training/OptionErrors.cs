using Microsoft.ML.DeltaLoRA;

namespace DeltaLoRA.Cli.Training;

/// <summary>Validates the trainer's options and reports an invalid value by the command-line flag that set it.</summary>
internal static class OptionErrors
{
    private static readonly Dictionary<string, string> Flags = new()
    {
        [nameof(DeltaLoRAOptions.Rank)] = "--rank",
        [nameof(DeltaLoRAOptions.Alpha)] = "--alpha",
        [nameof(DeltaLoRAOptions.UpdateRatio)] = "--update-ratio",
        [nameof(DeltaLoRAOptions.StartSteps)] = "--start-steps",
        [nameof(DeltaLoRAOptions.LearningRate)] = "--learning-rate",
        [nameof(DeltaLoRAOptions.BatchSize)] = "--batch-size",
        [nameof(DeltaLoRAOptions.Epochs)] = "--epochs",
        [nameof(DeltaLoRAOptions.MaxSequenceLength)] = "--max-length",
        [nameof(DeltaLoRAOptions.EarlyStoppingPatience)] = "--early-stopping",
        [nameof(DeltaLoRAOptions.ModelPath)] = "--model",
        [nameof(DeltaLoRAOptions.PairEncoding)] = "--pair-encoding",
    };

    public static void Validate(DeltaLoRAOptions options)
    {
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName is { } name && Flags.TryGetValue(name, out var flag))
        {
            var message = e.Message;
            int parameterNote = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
            throw new UserErrorException($"{flag}: {(parameterNote >= 0 ? message[..parameterNote] : message)}");
        }
    }
}
