using DeltaLoRA.Bench.Glue;

namespace DeltaLoRA.Bench.Study;

/// <summary>
/// Every setting of a study. Defaults are the full study (see README.md for its cost); <see cref="Quick"/> is the smoke
/// configuration. Adapter hyper-parameters follow the paper's GLUE setting: r 8, α 16, adapters on query/value, λ 0.5,
/// K = warmup steps.
/// </summary>
internal sealed record StudySettings
{
    public required string OutputFolder { get; init; }
    public required string GlueRoot { get; init; }

    /// <summary>A local model folder (Hugging Face or USE-Lite); null for the library's default model (USE-Lite).</summary>
    public string? ModelPath { get; init; }

    public IReadOnlyList<GlueTask> Tasks { get; init; } = GlueTask.All;
    public IReadOnlyList<StudyMethod> Methods { get; init; } = StudyMethods.All;

    /// <summary>Final runs use seeds 1..SeedCount; learning-rate selection uses <see cref="SelectionSeed"/>, which none of them is.</summary>
    public int SeedCount { get; init; } = 3;
    public int SelectionSeed { get; init; } = 1000;

    /// <summary>Seeds the training-set subsample and its validation split (the same rows for every method and seed).</summary>
    public int DataSeed { get; init; } = 2023;

    /// <summary>Rows drawn from each official training split (train + validation); smaller splits are used whole.</summary>
    public int TrainSize { get; init; } = DefaultTrainSize;
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Dev rows scored; null scores the whole official dev split (always, except in smoke configurations).</summary>
    public int? DevSize { get; init; }

    /// <summary>Optimizer steps of every fine-tuning run (the same for the three methods); overrides <see cref="Epochs"/>.</summary>
    public int? Steps { get; init; } = DefaultSteps;

    /// <summary>When <see cref="Steps"/> is null: passes over each task's training rows (so the budget differs by task, not by method).</summary>
    public int? Epochs { get; init; }

    public int BatchSize { get; init; } = 16;
    public int MaxSequenceLength { get; init; } = 128;
    public int Rank { get; init; } = 8;

    /// <summary>How a BERT head reads the tokens; null for the model's own (see <c>FineTuningOptions.Pooling</c>).</summary>
    public Microsoft.ML.DeltaLoRA.SentencePooling? Pooling { get; init; }

    /// <summary>How pair tasks (MRPC, RTE, STS-B) are read: one sequence, or each text alone (a bi-encoder). Runs with another encoding belong in another output folder.</summary>
    public Microsoft.ML.DeltaLoRA.SentencePairEncoding PairEncoding { get; init; }
    public double Alpha { get; init; } = 16;
    public double UpdateRatio { get; init; } = 0.5;

    /// <summary>K; null means the warmup steps.</summary>
    public int? StartSteps { get; init; }
    public double WarmupRatio { get; init; } = 0.06;

    public IReadOnlyDictionary<StudyMethod, double[]> LearningRates { get; init; } = DefaultLearningRates;

    /// <summary>Train regression methods on standardized targets (see <see cref="TargetScaling"/>); false trains on the raw 0–5 scores.</summary>
    public bool StandardizeTargets { get; init; } = true;

    /// <summary>Print a progress line every this many optimizer steps (and at the last).</summary>
    public int LogEvery { get; init; } = 50;

    /// <summary>libtorch threads each fine-tuning run trains and scores on (<see cref="Microsoft.ML.DeltaLoRA.DeltaLoRAOptions.ThreadCount"/>).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Marks a smoke configuration in the report, whose numbers are not evidence.</summary>
    public bool IsQuick { get; init; }

    public const int DefaultTrainSize = 4000;
    public const int DefaultSteps = 500;

    /// <summary>
    /// Half-decade grids, five values each. The first full study used the middle three and chose an edge value in 13 of its
    /// 15 task × method cells (the lowest for every Full run, either end for the adapters), so each grid was widened by one
    /// step at both ends.
    /// </summary>
    public static IReadOnlyDictionary<StudyMethod, double[]> DefaultLearningRates { get; } = new Dictionary<StudyMethod, double[]>
    {
        [StudyMethod.DeltaLoRA] = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2],
        [StudyMethod.LoRA] = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2],
        [StudyMethod.Full] = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3],
    };

    /// <summary>
    /// A tiny configuration for smoke tests: every task and method, 2 seeds, 2 learning rates per method, 32-row subsamples,
    /// 4 steps of 8 rows, 48 dev rows, inputs cut at 64 tokens. It exercises every code path; its numbers mean nothing.
    /// </summary>
    public static StudySettings Quick(string outputFolder, string glueRoot, string? modelPath) => new()
    {
        OutputFolder = outputFolder,
        GlueRoot = glueRoot,
        ModelPath = modelPath,
        SeedCount = 2,
        TrainSize = 32,
        ValidationFraction = 0.25,
        DevSize = 48,
        Steps = 4,
        BatchSize = 8,
        MaxSequenceLength = 64,
        LogEvery = 2,
        IsQuick = true,
        LearningRates = new Dictionary<StudyMethod, double[]>
        {
            [StudyMethod.DeltaLoRA] = [1e-3, 3e-3],
            [StudyMethod.LoRA] = [1e-3, 3e-3],
            [StudyMethod.Full] = [1e-4, 3e-4],
        },
    };

    /// <summary>Optimizer steps of each fine-tuning run on <paramref name="data"/>.</summary>
    public int StepsFor(TaskData data)
    {
        if (Steps is int steps) return steps;
        int epochs = Epochs ?? throw new InvalidOperationException("Set either Steps or Epochs.");
        return (int)Math.Ceiling((double)data.Train.Count / BatchSize) * epochs;
    }

    public TargetScaling TargetScalingFor(TaskData data)
        => StandardizeTargets && data.Task.IsRegression ? TargetScaling.Standardize(data.Train) : TargetScaling.Identity;

    /// <summary>Warmup steps of a run of <paramref name="steps"/> steps: the ratio, rounded up, as the library computes it.</summary>
    public int WarmupStepsFor(int steps) => (int)Math.Ceiling(WarmupRatio * steps);

    public double[] GridFor(StudyMethod method)
        => LearningRates.TryGetValue(method, out var grid) && grid.Length > 0
            ? grid
            : throw new InvalidOperationException($"No learning-rate grid for {method}; give one with --lr-grid {method}=<rates>.");

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Require(Tasks.Count > 0, nameof(Tasks), "none", "at least one task");
        Require(Methods.Count > 0, nameof(Methods), "none", "at least one method");
        Require(SeedCount >= 1, nameof(SeedCount), SeedCount, "at least 1");
        Require(SelectionSeed < 1 || SelectionSeed > SeedCount, nameof(SelectionSeed), SelectionSeed, $"outside the final seeds 1..{SeedCount}");
        Require(TrainSize >= 2, nameof(TrainSize), TrainSize, "at least 2");
        Require(ValidationFraction > 0 && ValidationFraction < 1, nameof(ValidationFraction), ValidationFraction, "in (0, 1)");
        Require(DevSize is null or >= 1, nameof(DevSize), DevSize!, "at least 1, or unset for the whole dev split");
        Require(Steps is >= 1 || (Steps is null && Epochs is >= 1), nameof(Steps), Steps?.ToString() ?? $"unset with Epochs {Epochs}", "at least 1 step, or unset with Epochs at least 1");
        Require(BatchSize >= 1, nameof(BatchSize), BatchSize, "at least 1");
        Require(LogEvery >= 1, nameof(LogEvery), LogEvery, "at least 1");
        foreach (var method in Methods.Where(m => m.FineTunes()))
            Require(GridFor(method).All(lr => lr > 0 && double.IsFinite(lr)), nameof(LearningRates), string.Join(",", GridFor(method)), $"positive learning rates for {method}");
    }

    private static void Require(bool condition, string name, object found, string expected)
    {
        if (!condition) throw new ArgumentOutOfRangeException(name, found, $"{name} must be {expected}; found {found}.");
    }
}
