using System.Diagnostics;
using Microsoft.ML.DeltaLoRA.ModelLoadCheck;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

/// <summary>
/// Test double for the fine-tuning engine: trains a <see cref="BagOfCharactersScorer"/> by mini-batch gradient descent
/// (softmax cross-entropy or squared error), in row order, deterministically. Honours the seam's contract: checks
/// cancellation before every step, reports progress after every step, disposes its scorer when it throws.
/// </summary>
internal sealed class BagOfCharactersTrainer : ITextScorerTrainer
{
    /// <summary>Gradient descent step sizes: squared error on 0-5 targets diverges with the classification one.</summary>
    public const float ClassificationStepSize = 2f, RegressionStepSize = 0.2f;

    public TextTrainingSet? LastTrainingSet { get; private set; }
    public TextTrainingSet? LastValidationSet { get; private set; }
    public List<BagOfCharactersScorer> Scorers { get; } = [];

    public ITextScorer Train(TextTrainingSet trainingSet, TextTrainingSet? validationSet, TrainerSettings settings, TrainingSession session)
    {
        LastTrainingSet = trainingSet;
        LastValidationSet = validationSet;
        int textCount = trainingSet.SecondTexts is null ? 1 : 2;
        int outputs = trainingSet.OutputCount;
        int featureCount = BagOfCharactersScorer.FeatureCount(textCount);
        var scorer = new BagOfCharactersScorer(outputs, textCount, new float[outputs * featureCount]);
        Scorers.Add(scorer);
        try
        {
            var features = Enumerable.Range(0, trainingSet.Count)
                .Select(i => BagOfCharactersScorer.Features(trainingSet.FirstTexts[i], trainingSet.SecondTexts?[i])).ToArray();
            int batchSize = settings.FineTuning.BatchSize;
            int stepsPerEpoch = (trainingSet.Count + batchSize - 1) / batchSize;
            int step = 0;
            float stepSize = trainingSet.Task == PredictionTask.Regression ? RegressionStepSize : ClassificationStepSize;
            var clock = Stopwatch.StartNew();
            for (int epoch = 0; epoch < settings.FineTuning.Epochs; epoch++)
            {
                for (int start = 0; start < trainingSet.Count; start += batchSize)
                {
                    session.ThrowIfCancellationRequested();
                    int end = Math.Min(start + batchSize, trainingSet.Count);
                    double loss = GradientStep(scorer.Weights, features, trainingSet, start, end, outputs, featureCount, stepSize);
                    step++;
                    double? validation = validationSet is not null && end == trainingSet.Count ? ValidationMetric(scorer.Weights, validationSet, outputs, featureCount) : null;
                    session.Report(new TrainingProgress(step, epoch + (double)(start / batchSize + 1) / stepsPerEpoch, loss, stepSize,
                        end * 1.0 / Math.Max(clock.Elapsed.TotalSeconds, 1e-9), validation));
                }
            }
            return scorer;
        }
        catch
        {
            scorer.Dispose();
            throw;
        }
    }

    private static double GradientStep(float[] weights, float[][] features, TextTrainingSet rows, int start, int end, int outputs, int featureCount, float stepSize)
    {
        var gradient = new double[weights.Length];
        double loss = 0;
        var logits = new double[outputs];
        for (int row = start; row < end; row++)
        {
            for (int o = 0; o < outputs; o++)
            {
                double sum = 0;
                for (int f = 0; f < featureCount; f++) sum += weights[o * featureCount + f] * features[row][f];
                logits[o] = sum;
            }
            if (rows.Task == PredictionTask.Regression)
            {
                double error = logits[0] - rows.Targets![row];
                loss += error * error;
                for (int f = 0; f < featureCount; f++) gradient[f] += 2 * error * features[row][f];
                continue;
            }
            double max = logits.Max(), total = logits.Sum(l => Math.Exp(l - max));
            int label = rows.ClassIndices![row];
            loss += -(logits[label] - max - Math.Log(total));
            for (int o = 0; o < outputs; o++)
            {
                double delta = Math.Exp(logits[o] - max) / total - (o == label ? 1 : 0);
                for (int f = 0; f < featureCount; f++) gradient[o * featureCount + f] += delta * features[row][f];
            }
        }
        int count = end - start;
        for (int i = 0; i < weights.Length; i++) weights[i] -= (float)(stepSize * gradient[i] / count);
        return loss / count;
    }

    /// <summary>Accuracy for classification, negative mean squared error for regression (not through Score, to keep its call log clean).</summary>
    private static double ValidationMetric(float[] weights, TextTrainingSet rows, int outputs, int featureCount)
    {
        double total = 0;
        for (int row = 0; row < rows.Count; row++)
        {
            var features = BagOfCharactersScorer.Features(rows.FirstTexts[row], rows.SecondTexts?[row]);
            var logits = Enumerable.Range(0, outputs)
                .Select(o => Enumerable.Range(0, featureCount).Sum(f => (double)weights[o * featureCount + f] * features[f])).ToArray();
            total += rows.Task == PredictionTask.Regression
                ? -Math.Pow(logits[0] - rows.Targets![row], 2)
                : Array.IndexOf(logits, logits.Max()) == rows.ClassIndices![row] ? 1 : 0;
        }
        return total / rows.Count;
    }
}
