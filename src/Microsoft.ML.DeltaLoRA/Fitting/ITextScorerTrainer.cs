namespace Microsoft.ML.DeltaLoRA;

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
    /// <param name="options">Every option, already validated.</param>
    /// <param name="session">Cancellation, progress and log.</param>
    ITextScorer Train(TextTrainingSet trainingSet, TextTrainingSet? validationSet, DeltaLoRAOptions options, TrainingSession session);
}
