using Microsoft.ML.DeltaLoRA;

namespace DeltaLoRA.Cli.Training;

/// <summary>The trainer options that <c>train</c> and <c>sweep</c> both take from the command line: model, columns, batch, length, seed.</summary>
internal static class RunOptions
{
    public static DeltaLoRAOptions Shared(TrainSettings settings, TrainingData data, TrainingDefaults defaults) => new()
    {
        ModelPath = settings.ModelPath,
        Pooling = settings.Pooling,
        PairEncoding = settings.PairEncoding,
        LabelColumnName = data.Columns.Label.Name,
        Sentence1ColumnName = data.Columns.Text1.Name,
        Sentence2ColumnName = data.Columns.Text2?.Name,
        BatchSize = settings.BatchSize ?? defaults.BatchSize,
        MaxSequenceLength = MaxLength(settings, defaults),
        Seed = settings.Seed,
        ThreadCount = settings.Threads,
        LengthBucketing = true,
    };

    /// <summary>--max-length, else the default bounded by what the model can read.</summary>
    private static int MaxLength(TrainSettings settings, TrainingDefaults defaults)
    {
        int limit = ModelChoice.MaxTokens(settings.ModelPath);
        if (settings.MaxLength is not { } given) return Math.Min(defaults.MaxLength, limit);
        if (given > limit)
            throw new UserErrorException($"--max-length {given}: the model reads at most {limit} tokens ({ModelChoice.Describe(settings.ModelPath)}).");
        return given;
    }
}
