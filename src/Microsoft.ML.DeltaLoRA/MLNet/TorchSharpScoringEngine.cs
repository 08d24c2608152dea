using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Modeling;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// The fine-tuned TorchSharp network and its tokenizer as a scoring engine: raw head outputs for batches of texts, and the
/// files that rebuild it (the model's files plus the inference settings). <see cref="Load"/> rebuilds it on the CPU.
/// <see cref="SaveMode"/> chooses whether the payload holds the whole network or the base by reference plus the delta.
/// It scores on <paramref name="threadCount"/> libtorch threads, applied to the thread each call runs on (OpenMP keeps a count
/// per thread), so that a model scored from another thread than the one that built it keeps its count.
/// </summary>
internal sealed class TorchSharpScoringEngine(TextClassificationModel model, int maxSequenceLength, int threadCount, ModelSaveMode saveMode = ModelSaveMode.Full) : IScoringEngine
{
    public const string SettingsFileName = "scorer.json";

    public TextClassificationModel Model { get; } = model;

    public int MaxSequenceLength { get; } = maxSequenceLength;

    /// <summary>libtorch's CPU threads while this engine scores (<see cref="TorchThreads"/>).</summary>
    public int ThreadCount { get; } = threadCount;

    public int OutputCount => Model.NumLabels;

    /// <summary>
    /// How <see cref="SavePayload"/> writes the model: as asked, except that a model without a delta (full fine-tuning) always
    /// saves in full. Set it to change how the next save writes.
    /// </summary>
    public ModelSaveMode SaveMode
    {
        get => field == ModelSaveMode.Compact && Model.CanSaveCompact ? ModelSaveMode.Compact : ModelSaveMode.Full;
        set => field = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Expected Full or Compact.");
    } = saveMode;

    public string FormatTag => TransformerModelFile.EngineFormats.TorchSharp;

    public void Score(IReadOnlyList<string> firstTexts, IReadOnlyList<string>? secondTexts, int batchSize, Span<float> outputs)
    {
        TorchThreads.Apply(ThreadCount);
        Model.PredictRaw(firstTexts, secondTexts, MaxSequenceLength, batchSize).CopyTo(outputs);
    }

    public IReadOnlyDictionary<string, byte[]> SavePayload() => new Dictionary<string, byte[]>(Model.ToFiles(SaveMode))
    {
        [SettingsFileName] = JsonSerializer.SerializeToUtf8Bytes(new Settings(MaxSequenceLength)),
    };

    /// <summary>
    /// Throws <see cref="InvalidDataException"/> naming the blob when the payload is incomplete or malformed. The engine scores on
    /// <see cref="TorchThreads.ScoringCount"/> threads, else <see cref="TorchThreads.DefaultCount"/>; the count is applied here already,
    /// so that the loading thread and threads that start using libtorch later have it.
    /// </summary>
    public static TorchSharpScoringEngine Load(IReadOnlyDictionary<string, byte[]> payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var settings = ScorerSettingsJson.Read<Settings>(payload, SettingsFileName);
        if (settings.MaxSequenceLength < 1)
            throw new InvalidDataException($"'{SettingsFileName}' in the model has no valid MaxSequenceLength.");
        // A compact model saves compact again; a full one in full.
        var saveMode = payload.ContainsKey(TextClassificationModel.WeightsFileName) ? ModelSaveMode.Full : ModelSaveMode.Compact;
        int threadCount = TorchThreads.ScoringCount ?? TorchThreads.DefaultCount;
        TorchThreads.Apply(threadCount);
        return new TorchSharpScoringEngine(TextClassificationModel.FromFiles(payload, "the model zip"), settings.MaxSequenceLength, threadCount, saveMode);
    }

    public void Dispose() => Model.Dispose();

    /// <summary>The JSON of <see cref="SettingsFileName"/>; its property name is part of the saved format.</summary>
    private sealed record Settings(int MaxSequenceLength);
}
