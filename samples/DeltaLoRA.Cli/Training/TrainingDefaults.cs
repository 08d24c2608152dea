namespace DeltaLoRA.Cli.Training;

/// <summary>
/// Hyper-parameters used where the command line gives none. Hugging Face models take the library's defaults (the paper's
/// GLUE settings). USE-Lite takes a larger learning rate: its sentence vector is L2-normalised, so a fresh head on it has
/// logits near zero and needs large weights before it is confident. The demo also bounds the training rows and epochs so
/// that it runs in a few minutes on two CPU cores.
/// </summary>
public sealed record TrainingDefaults(int Epochs, double LearningRate, int BatchSize, int MaxLength, int? MaxRows)
{
    public static TrainingDefaults Library { get; } = new(Epochs: 3, LearningRate: 5e-4, BatchSize: 16, MaxLength: 128, MaxRows: null);

    public static TrainingDefaults UseLite { get; } = new(Epochs: 3, LearningRate: 3e-3, BatchSize: 16, MaxLength: 128, MaxRows: null);

    public static TrainingDefaults Demo { get; } = new(Epochs: 2, LearningRate: 3e-3, BatchSize: 16, MaxLength: 128, MaxRows: 2000);

    public static TrainingDefaults For(TrainSettings settings, bool useLiteModel)
        => settings.IsDemo && useLiteModel ? Demo : useLiteModel ? UseLite : Library;
}
