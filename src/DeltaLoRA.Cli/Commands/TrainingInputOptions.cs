using System.CommandLine;
using DeltaLoRA.Cli.Training;
using Microsoft.ML.DeltaLoRA;

namespace DeltaLoRA.Cli.Commands;

/// <summary>The flags <c>train</c> and <c>sweep</c> share: the data files and how to read them, the task, the pretrained model, batch, length, rows, seed and threads.</summary>
internal sealed class TrainingInputOptions
{
    public Option<string?> Dataset { get; } = new("--dataset", "-d") { Description = "Training data (.tsv or .csv). Default: the SpamAssassin demo corpus (build/fetch-dataset.sh).", HelpName = "file" };
    public Option<string?> Validation { get; } = new("--validation-dataset") { Description = "Validation data: train evaluates it after each epoch (accuracy, or -MSE for regression; enables --early-stopping); sweep scores its trials on it (default: 20% of the training rows).", HelpName = "file" };
    public Option<string?> Test { get; } = new("--test-dataset") { Description = "Data for the final metrics. Default: a held-out share of --dataset (--test-fraction).", HelpName = "file" };
    public Option<double> TestFraction { get; } = new("--test-fraction") { Description = "Share of --dataset held out for testing when no --test-dataset is given.", DefaultValueFactory = _ => 0.2 };
    public DataOptions Data { get; } = new();
    public Option<TaskKind> Task { get; } = new("--task") { Description = "classification (labels are classes, text or numbers) or regression (numeric labels).", DefaultValueFactory = _ => TaskKind.Classification };
    public Option<string?> Model { get; } = new("--model", "-m") { Description = "Pretrained model: a name (minilm, arctic-xs, use-lite; build/fetch-model.sh NAME) or a folder, Hugging Face (config.json or model.onnx, weights, tokenizer), USE-Lite, or a PEFT LoRA adapter (adapter_config.json; its base with the adapter merged). Default: minilm.", HelpName = "name|folder" };
    public Option<SentencePooling?> Pooling { get; } = new("--pooling") { Description = "How a BERT head reads the tokens: pooler, clstoken or meanoftokens. Default: the model's own (minilm mean, arctic-xs [CLS], other BERTs the pooler)." };
    public Option<PairEncodingChoice> PairEncoding { get; } = new("--pair-encoding") { Description = "How text pairs (--text2-col) are read: cross (one sequence, the default) or bi (each text encoded alone, the head on [u, v, |u-v|, u*v]; BERT and USE-Lite).", DefaultValueFactory = _ => PairEncodingChoice.Cross };
    public Option<int?> BatchSize { get; } = new("--batch-size", "-b") { Description = "Rows per optimizer step. Default 16." };
    public Option<int?> MaxLength { get; } = new("--max-length") { Description = "Longest input in tokens; longer texts are truncated. Default 128." };
    public Option<int?> MaxRows { get; } = new("--max-rows") { Description = "Train on at most this many rows, drawn at random with --seed. Default: all (2000 for the demo)." };
    public Option<int?> Threads { get; } = ThreadsOption.Create();
    public Option<int> Seed { get; } = new("--seed") { Description = "Seeds the split, the subsample, the adapters and the batch order (and the configurations sweep draws).", DefaultValueFactory = _ => 1 };

    /// <summary>The data flags, then <paramref name="hyperParameters"/>, then the model and run-size flags (the help lists them in this order).</summary>
    public void AddTo(Command command, params Option[] hyperParameters)
    {
        foreach (var option in new Option[] { Dataset, Validation, Test, TestFraction }) command.Add(option);
        Data.AddTo(command);
        command.Add(Task);
        command.Add(Model);
        command.Add(Pooling);
        command.Add(PairEncoding);
        foreach (var option in hyperParameters) command.Add(option);
        foreach (var option in new Option[] { BatchSize, MaxLength, MaxRows, Seed, Threads }) command.Add(option);
    }

    /// <summary>The settings these flags give; the command adds its own.</summary>
    public TrainSettings Settings(ParseResult result) => new()
    {
        Dataset = result.GetValue(Dataset),
        ValidationDataset = result.GetValue(Validation),
        TestDataset = result.GetValue(Test),
        TestFraction = result.GetValue(TestFraction),
        Columns = Data.Columns(result),
        HasHeader = result.GetValue(Data.HasHeader),
        Separator = result.GetValue(Data.Separator),
        Task = result.GetValue(Task),
        ModelPath = result.GetValue(Model) ?? ModelChoice.DefaultModel,
        Pooling = result.GetValue(Pooling),
        PairEncoding = result.GetValue(PairEncoding) == PairEncodingChoice.Bi ? SentencePairEncoding.BiEncoder : SentencePairEncoding.CrossEncoder,
        BatchSize = result.GetValue(BatchSize),
        MaxLength = result.GetValue(MaxLength),
        MaxRows = result.GetValue(MaxRows),
        Seed = result.GetValue(Seed),
        Threads = result.GetValue(Threads),
        Verbose = result.GetValue<bool>("--verbose"),
    };
}
