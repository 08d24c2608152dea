using Microsoft.ML.DeltaLoRA;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace Microsoft.ML;

/// <summary>
/// Delta-LoRA text trainers in ML.NET's catalogs:
/// <c>mlContext.MulticlassClassification.Trainers.DeltaLoRA(...)</c> and <c>mlContext.Regression.Trainers.DeltaLoRA(...)</c>.
/// </summary>
public static class DeltaLoRACatalog
{
    /// <summary>Fine-tunes a text classifier. The label must be a key type (apply MapValueToKey first).</summary>
    /// <param name="catalog">The multiclass classification trainers catalog.</param>
    /// <param name="labelColumnName">The label column, a key type.</param>
    /// <param name="sentence1ColumnName">The text column.</param>
    /// <param name="sentence2ColumnName">The second text column of text-pair tasks, or null.</param>
    /// <param name="modelPath">Local Hugging Face model folder; null for the default model.</param>
    /// <param name="method">Delta-LoRA, LoRA or full fine-tuning; null for the default (<see cref="FineTuningOptions.Method"/>).</param>
    /// <param name="rank">Adapter rank; null for the default.</param>
    /// <param name="epochs">Passes over the training rows; null for the default.</param>
    /// <param name="batchSize">Rows per optimizer step; null for the default.</param>
    public static DeltaLoRATrainer DeltaLoRA(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string sentence1ColumnName = DeltaLoRAOptions.DefaultSentence1ColumnName, string? sentence2ColumnName = null,
        string? modelPath = null, FineTuningMethod? method = null, int? rank = null, int? epochs = null, int? batchSize = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var options = Options(labelColumnName, sentence1ColumnName, sentence2ColumnName, modelPath, method, rank, epochs, batchSize);
        return new DeltaLoRATrainer(MLNetInternals.EnvironmentOf(catalog), options, PredictionTask.MulticlassClassification);
    }

    /// <summary>Fine-tunes a text classifier with every option given.</summary>
    public static DeltaLoRATrainer DeltaLoRA(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, DeltaLoRAOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new DeltaLoRATrainer(MLNetInternals.EnvironmentOf(catalog), options, PredictionTask.MulticlassClassification);
    }

    /// <summary>Fine-tunes a text regressor (one output, mean squared error). The label must be Single.</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="labelColumnName">The label column, Single.</param>
    /// <param name="sentence1ColumnName">The text column.</param>
    /// <param name="sentence2ColumnName">The second text column of text-pair tasks (for example sentence similarity), or null.</param>
    /// <param name="modelPath">Local Hugging Face model folder; null for the default model.</param>
    /// <param name="method">Delta-LoRA, LoRA or full fine-tuning; null for the default.</param>
    /// <param name="rank">Adapter rank; null for the default.</param>
    /// <param name="epochs">Passes over the training rows; null for the default.</param>
    /// <param name="batchSize">Rows per optimizer step; null for the default.</param>
    public static DeltaLoRATrainer DeltaLoRA(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = "Label", string sentence1ColumnName = DeltaLoRAOptions.DefaultSentence1ColumnName, string? sentence2ColumnName = null,
        string? modelPath = null, FineTuningMethod? method = null, int? rank = null, int? epochs = null, int? batchSize = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var options = Options(labelColumnName, sentence1ColumnName, sentence2ColumnName, modelPath, method, rank, epochs, batchSize);
        return new DeltaLoRATrainer(MLNetInternals.EnvironmentOf(catalog), options, PredictionTask.Regression);
    }

    /// <summary>Fine-tunes a text regressor with every option given.</summary>
    public static DeltaLoRATrainer DeltaLoRA(this RegressionCatalog.RegressionTrainers catalog, DeltaLoRAOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new DeltaLoRATrainer(MLNetInternals.EnvironmentOf(catalog), options, PredictionTask.Regression);
    }

    private static DeltaLoRAOptions Options(string labelColumnName, string sentence1ColumnName, string? sentence2ColumnName,
        string? modelPath, FineTuningMethod? method, int? rank, int? epochs, int? batchSize)
    {
        var options = new DeltaLoRAOptions
        {
            LabelColumnName = labelColumnName,
            Sentence1ColumnName = sentence1ColumnName,
            Sentence2ColumnName = sentence2ColumnName,
            ModelPath = modelPath,
        };
        if (method is { } m) options.Method = m;
        if (rank is { } r) options.Rank = r;
        if (epochs is { } e) options.Epochs = e;
        if (batchSize is { } b) options.BatchSize = b;
        return options;
    }
}
