using Microsoft.ML.DeltaLoRA.Modeling;
using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace Microsoft.ML.DeltaLoRA.ModelLoadCheck;

/// <summary>
/// A small deterministic stand-in for a fine-tuned transformer, for testing the ML.NET layer: a linear model on letter
/// frequencies. Features per text: the share of each letter a-z and of all other characters (27), then a bias of 1;
/// logits = W · features. A row's outputs depend only on that row, so batching cannot change them.
/// </summary>
internal sealed class BagOfCharactersScorer : ITextScorer
{
    public const int FeaturesPerText = 27;
    private readonly List<int> _batchSizes = [];

    public BagOfCharactersScorer(int outputCount, int textCount, float[] weights)
    {
        if (outputCount < 1) throw new ArgumentOutOfRangeException(nameof(outputCount), outputCount, "At least one output.");
        if (textCount is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(textCount), textCount, "One or two texts.");
        if (weights.Length != outputCount * FeatureCount(textCount))
            throw new ArgumentOutOfRangeException(nameof(weights), weights.Length, $"Expected {outputCount * FeatureCount(textCount)} weights.");
        OutputCount = outputCount;
        TextCount = textCount;
        Weights = weights;
    }

    public int OutputCount { get; }
    public int TextCount { get; }

    /// <summary>Row-major [OutputCount, FeatureCount].</summary>
    public float[] Weights { get; }

    /// <summary>Rows per <see cref="Score"/> call, in call order.</summary>
    public IReadOnlyList<int> BatchSizes => _batchSizes;

    public bool IsDisposed { get; private set; }

    public string FormatTag => BagOfCharactersScorerLoader.FormatTag;

    public static int FeatureCount(int textCount) => textCount * FeaturesPerText + 1;

    public static float[] Features(string first, string? second)
    {
        var features = new float[FeatureCount(second is null ? 1 : 2)];
        AddTextFeatures(first, features.AsSpan(0, FeaturesPerText));
        if (second is not null) AddTextFeatures(second, features.AsSpan(FeaturesPerText, FeaturesPerText));
        features[^1] = 1;
        return features;
    }

    /// <summary>Scores in the library's length groups (length: characters), recording each group's size in <see cref="BatchSizes"/>.</summary>
    public void Score(IReadOnlyList<string> firstTexts, IReadOnlyList<string>? secondTexts, int batchSize, Span<float> outputs)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if ((secondTexts is null) != (TextCount == 1)) throw new ArgumentException($"This scorer reads {TextCount} text(s) per row.");
        var lengths = firstTexts.Select((text, row) => text.Length + (secondTexts?[row].Length ?? 0)).ToArray();
        int featureCount = FeatureCount(TextCount);
        foreach (var rows in LengthGroups.Batches(lengths, batchSize))
        {
            _batchSizes.Add(rows.Length);
            foreach (int row in rows)
            {
                var features = Features(firstTexts[row], secondTexts?[row]);
                for (int output = 0; output < OutputCount; output++)
                {
                    float sum = 0;
                    for (int f = 0; f < featureCount; f++) sum += Weights[output * featureCount + f] * features[f];
                    outputs[row * OutputCount + output] = sum;
                }
            }
        }
    }

    public IReadOnlyDictionary<string, byte[]> SavePayload()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var weights = new byte[Weights.Length * sizeof(float)];
        for (int i = 0; i < Weights.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(weights.AsSpan(i * sizeof(float)), Weights[i]);
        return new Dictionary<string, byte[]>
        {
            ["config.json"] = JsonSerializer.SerializeToUtf8Bytes(new BagOfCharactersConfig(OutputCount, TextCount)),
            ["weights.bin"] = weights,
        };
    }

    public void Dispose() => IsDisposed = true;

    private static void AddTextFeatures(string text, Span<float> features)
    {
        if (text.Length == 0) return;
        foreach (var c in text)
        {
            char lower = char.ToLowerInvariant(c);
            features[lower is >= 'a' and <= 'z' ? lower - 'a' : FeaturesPerText - 1] += 1;
        }
        for (int i = 0; i < features.Length; i++) features[i] /= text.Length;
    }
}

internal sealed record BagOfCharactersConfig(int OutputCount, int TextCount);

/// <summary>Rebuilds a <see cref="BagOfCharactersScorer"/> from config.json and weights.bin.</summary>
internal sealed class BagOfCharactersScorerLoader : ITextScorerLoader
{
    public const string FormatTag = "test/bag-of-characters";

    /// <summary>Registers the format when this assembly loads, so that a process that loads such a model needs no registration call.</summary>
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void Register() => ScorerFormats.Register(FormatTag, new BagOfCharactersScorerLoader());

    public ITextScorer Load(IReadOnlyDictionary<string, byte[]> payload)
    {
        if (!payload.TryGetValue("config.json", out var configBytes)) throw new InvalidDataException("Payload blob 'config.json' is missing.");
        if (!payload.TryGetValue("weights.bin", out var weightBytes)) throw new InvalidDataException("Payload blob 'weights.bin' is missing.");
        var config = JsonSerializer.Deserialize<BagOfCharactersConfig>(configBytes) ?? throw new InvalidDataException("Payload blob 'config.json' is empty.");
        if (weightBytes.Length % sizeof(float) != 0) throw new InvalidDataException($"Payload blob 'weights.bin' has {weightBytes.Length} bytes, not a multiple of 4.");
        var weights = new float[weightBytes.Length / sizeof(float)];
        for (int i = 0; i < weights.Length; i++) weights[i] = BinaryPrimitives.ReadSingleLittleEndian(weightBytes.AsSpan(i * sizeof(float)));
        return new BagOfCharactersScorer(config.OutputCount, config.TextCount, weights);
    }
}
