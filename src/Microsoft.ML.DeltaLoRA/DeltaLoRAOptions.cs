namespace Microsoft.ML.DeltaLoRA;

/// <summary>
/// Options of the DeltaLoRA trainers (<see cref="DeltaLoRACatalog"/>): the fine-tuning hyper-parameters of
/// <see cref="FineTuningOptions"/> plus where the data and the pretrained model are, and how results come back.
/// </summary>
public sealed class DeltaLoRAOptions : FineTuningOptions
{
    /// <summary>Default name of the first text column, as in ML.NET's text classification trainers.</summary>
    public const string DefaultSentence1ColumnName = "Sentence1";

    /// <summary>
    /// Local folder of a Hugging Face checkpoint (config.json or a torch.onnx export, weights, tokenizer files), a USE-Lite folder,
    /// or a model name fetched into the model cache (<c>minilm</c>, <c>arctic-xs</c>, <c>use-lite</c>). Null is the default model,
    /// <c>minilm</c> (all-MiniLM-L6-v2); when it has not been fetched, training fails with the command that fetches it
    /// (<c>deltalora fetch-model minilm</c>). The cache is <c>$DELTALORA_MODEL_CACHE</c>, else <c>${XDG_CACHE_HOME:-~/.cache}/deltalora/models</c>.
    /// </summary>
    public string? ModelPath { get; set; }

    /// <summary>
    /// What saving the fitted model writes: <see cref="ModelSaveMode.Full"/> (the default: a zip that loads anywhere, the adapters
    /// merged into the weights) or <see cref="ModelSaveMode.Compact"/> (the base model by name or folder and SHA-256, plus the
    /// low-rank delta and the head: a few hundred KB for MiniLM; loading needs the same base). Full fine-tuning always saves in full.
    /// </summary>
    public ModelSaveMode SaveMode { get; set; } = ModelSaveMode.Full;

    /// <summary>The label: a key type for classification (use MapValueToKey), Single for regression.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>The text column (type String).</summary>
    public string Sentence1ColumnName { get; set; } = DefaultSentence1ColumnName;

    /// <summary>The second text column of text-pair tasks (entailment, paraphrase, similarity), or null.</summary>
    public string? Sentence2ColumnName { get; set; }

    /// <summary>Output: class probabilities (vector of Single) for classification, the predicted value (Single) for regression.</summary>
    public string ScoreColumnName { get; set; } = "Score";

    /// <summary>Output of classification: the most probable class, with the label's key type and key values.</summary>
    public string PredictedLabelColumnName { get; set; } = "PredictedLabel";

    /// <summary>Rows evaluated during training (same columns as the training data) for progress and early stopping; or null.</summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>Stop after this many evaluations on <see cref="ValidationSet"/> without improvement; 0 never stops early.</summary>
    public int EarlyStoppingPatience { get; set; }

    /// <summary>The most rows scored per forward pass when the fitted model transforms data (rows of similar length go together, and a long row may get a pass of its own).</summary>
    public int InferenceBatchSize { get; set; } = 32;

    /// <summary>
    /// libtorch's CPU threads while <c>Fit</c> trains, and afterwards while the fitted model scores (unless
    /// <see cref="TorchThreads.ScoringCount"/> is set); between 1 and <see cref="TorchThreads.MaxCount"/>. Null (the default) is
    /// <see cref="TorchThreads.DefaultCount"/>: libtorch's own count, capped at <see cref="Environment.ProcessorCount"/>. The count is
    /// libtorch's, shared by the process (see <see cref="TorchThreads"/>); beside other busy processes, fewer threads than cores
    /// can be much faster.
    /// </summary>
    public int? ThreadCount { get; set; }

    /// <summary>Receives progress reports during training, on the training thread; or null. The same reports go to MLContext.Log.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    /// <summary>Cancels training (<c>Fit</c> then throws <see cref="OperationCanceledException"/>).
    /// <c>MLContext.CancelExecution()</c> is observed too.</summary>
    public CancellationToken CancellationToken { get; set; }

    private protected override void CollectProblems(List<OptionProblem> problems)
    {
        base.CollectProblems(problems);
        RequireColumnName(problems, LabelColumnName, nameof(LabelColumnName));
        RequireColumnName(problems, Sentence1ColumnName, nameof(Sentence1ColumnName));
        if (Sentence2ColumnName is not null) RequireColumnName(problems, Sentence2ColumnName, nameof(Sentence2ColumnName));
        RequireColumnName(problems, ScoreColumnName, nameof(ScoreColumnName));
        RequireColumnName(problems, PredictedLabelColumnName, nameof(PredictedLabelColumnName));
        RequireDistinct(problems, Sentence1ColumnName, nameof(Sentence1ColumnName), Sentence2ColumnName, nameof(Sentence2ColumnName));
        RequireDistinct(problems, LabelColumnName, nameof(LabelColumnName), Sentence1ColumnName, nameof(Sentence1ColumnName));
        RequireDistinct(problems, LabelColumnName, nameof(LabelColumnName), Sentence2ColumnName, nameof(Sentence2ColumnName));
        RequireDistinct(problems, ScoreColumnName, nameof(ScoreColumnName), PredictedLabelColumnName, nameof(PredictedLabelColumnName));

        if (PairEncoding == SentencePairEncoding.BiEncoder && Sentence2ColumnName is null)
            problems.Add(new(nameof(PairEncoding), PairEncoding, $"{nameof(SentencePairEncoding.CrossEncoder)} when {nameof(Sentence2ColumnName)} is null (a bi-encoder reads two texts)"));

        var check = new OptionChecks(problems);
        check.AtLeast(InferenceBatchSize, 1, nameof(InferenceBatchSize));
        check.Defined(SaveMode, nameof(SaveMode));
        check.AtLeast(EarlyStoppingPatience, 0, nameof(EarlyStoppingPatience));
        if (ThreadCount is int threads && threads is < 1 or > TorchThreads.MaxCount)
            problems.Add(new(nameof(ThreadCount), threads, $"between 1 and {TorchThreads.MaxCount}, or null for TorchThreads.DefaultCount"));
        if (EarlyStoppingPatience > 0 && ValidationSet is null)
            problems.Add(new(nameof(EarlyStoppingPatience), EarlyStoppingPatience, $"0 while {nameof(ValidationSet)} is null (early stopping needs a validation set)"));
    }

    private static void RequireColumnName(List<OptionProblem> problems, string? name, string option)
    {
        if (string.IsNullOrWhiteSpace(name)) problems.Add(new(option, name is null ? null : $"'{name}'", "a column name"));
    }

    private static void RequireDistinct(List<OptionProblem> problems, string? first, string firstOption, string? second, string secondOption)
    {
        if (first is not null && first == second) problems.Add(new(secondOption, $"'{second}'", $"different from {firstOption}"));
    }
}
