using DeltaLoRA.Cli.Data;
using Microsoft.ML.DeltaLoRA;

namespace DeltaLoRA.Cli.Training;

/// <summary>
/// Everything <c>train</c> was asked to do. Hyper-parameters left null take <see cref="TrainingDefaults"/> for the model and
/// data set in use.
/// </summary>
internal sealed record TrainSettings
{
    /// <summary>The training file; null trains on the demo data set (SpamAssassin).</summary>
    public string? Dataset { get; init; }
    public string? ValidationDataset { get; init; }
    public string? TestDataset { get; init; }

    /// <summary>Share of the training file held out for testing when no test file is given.</summary>
    public double TestFraction { get; init; } = 0.2;

    public ColumnChoice Columns { get; init; } = new(null, null, null);
    public bool HasHeader { get; init; } = true;
    public string? Separator { get; init; }
    public TaskKind Task { get; init; } = TaskKind.Classification;

    /// <summary>Pretrained model folder or name (minilm, arctic-xs, use-lite); null for the default model.</summary>
    public string? ModelPath { get; init; }

    /// <summary>How a BERT head reads the token states; null for the model's own.</summary>
    public SentencePooling? Pooling { get; init; }

    /// <summary>How text pairs are read: one sequence, or each text alone (a bi-encoder).</summary>
    public SentencePairEncoding PairEncoding { get; init; }

    public FineTuningMethod Method { get; init; } = FineTuningMethod.DeltaLoRA;
    public int? Rank { get; init; }
    public double? Alpha { get; init; }
    public double? UpdateRatio { get; init; }
    public int? StartSteps { get; init; }

    /// <summary>libtorch's CPU threads for training and for scoring the reloaded model; null for the library's default.</summary>
    public int? Threads { get; init; }
    public int? Epochs { get; init; }
    public double? LearningRate { get; init; }
    public int? BatchSize { get; init; }
    public int? MaxLength { get; init; }
    public int? MaxRows { get; init; }
    public int EarlyStoppingPatience { get; init; }
    public int Seed { get; init; } = 1;

    public const string DefaultOut = "model.zip";
    public const string DemoOut = "artifacts/demo/model.zip";

    /// <summary>The model zip; the loss curve goes beside it (&lt;name&gt;.loss.csv, &lt;name&gt;.loss.png).</summary>
    public string Out { get; init; } = DefaultOut;

    /// <summary>Rows of the test set predicted by the reloaded model and shown.</summary>
    public int Examples { get; init; } = 6;

    /// <summary>How the model zip is written: the whole network, or the base by reference plus the delta.</summary>
    public ModelSaveMode Save { get; init; } = ModelSaveMode.Full;

    public bool Json { get; init; }
    public bool Verbose { get; init; }

    public bool IsDemo => Dataset is null;
}
