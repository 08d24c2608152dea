namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// The training side of the seam: fine-tunes a model on rows the ML.NET layer has already read and checked.
/// </summary>
internal interface ITextScorerTrainer
{
    /// <summary>
    /// Trains and returns a scorer whose <see cref="ITextScorer.OutputCount"/> equals <c>trainingSet.OutputCount</c>.
    /// Call <see cref="TrainingSession.ThrowIfCancellationRequested"/> at least once per optimizer step and report progress
    /// through <see cref="TrainingSession.Report"/>. On any exception (cancellation included) dispose whatever was built.
    /// </summary>
    /// <param name="trainingSet">The training rows.</param>
    /// <param name="validationSet">Rows from <see cref="DeltaLoRAOptions.ValidationSet"/>, or null.</param>
    /// <param name="settings">Every option, validated and fixed for this fit.</param>
    /// <param name="session">Cancellation, progress and log.</param>
    ITextScorer Train(TextTrainingSet trainingSet, TextTrainingSet? validationSet, TrainerSettings settings, TrainingSession session);
}
