using Microsoft.ML.DeltaLoRA.Benchmarks.Flops;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.UseLite;
using TorchSharp;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>
/// A network the benchmarks time, built by the library itself (so that the product is measured, not a copy), with the
/// analytic FLOP count of its matrix products. <see cref="Key"/> names it on the command line and to child processes.
/// </summary>
internal sealed class BenchmarkModel
{
    public const string BertKey = "bert", UseLiteKey = "uselite";
    public const int NumLabels = 2;

    private readonly Func<SequenceClassifier> _create;
    private readonly Func<SequenceClassifier, ParameterTrainability, SequenceLengths, FlopLedger> _count;

    private BenchmarkModel(string key, string description, int vocabularySize, int maxSequenceLength,
        Func<SequenceClassifier> create, Func<SequenceClassifier, ParameterTrainability, SequenceLengths, FlopLedger> count)
    {
        Key = key;
        Description = description;
        VocabularySize = vocabularySize;
        MaxSequenceLength = maxSequenceLength;
        _create = create;
        _count = count;
    }

    public string Key { get; }
    public string Description { get; }
    /// <summary>Token ids are drawn from [1, VocabularySize).</summary>
    public int VocabularySize { get; }
    public int MaxSequenceLength { get; }

    /// <summary>A fresh model, seeded, on the CPU, in training mode.</summary>
    public SequenceClassifier Create(int seed = 0)
    {
        torch.manual_seed(seed);
        var model = _create();
        model.train();
        return model;
    }

    /// <summary>Useful FLOPs of one training step (forward + backward) of <paramref name="model"/> as <c>FineTuner</c> prepared it.</summary>
    public FlopLedger TrainingFlops(SequenceClassifier model, SequenceLengths lengths) => _count(model, ParameterTrainability.Training(model), lengths);

    /// <summary>Useful FLOPs of one inference pass (forward only).</summary>
    public FlopLedger InferenceFlops(SequenceClassifier model, SequenceLengths lengths) => _count(model, ParameterTrainability.Inference(model), lengths);

    public static BenchmarkModel FromKey(string key, int bertLayers) => key switch
    {
        BertKey => BertBase(bertLayers),
        UseLiteKey => UseLite(),
        _ => throw new ArgumentOutOfRangeException(nameof(key), key, $"Unknown model '{key}'; expected {BertKey} or {UseLiteKey}."),
    };

    /// <summary>
    /// <c>BertForSequenceClassification</c> with BERT-base sizes (hidden 768, 12 heads, FFN 3072, vocabulary 30,522, 512 positions,
    /// dropout 0.1) and <paramref name="layers"/> layers, randomly initialised as Hugging Face does.
    /// </summary>
    public static BenchmarkModel BertBase(int layers)
    {
        var config = BertBaseConfig(layers);
        return new BenchmarkModel(BertKey,
            $"BERT-base-shaped BertForSequenceClassification ({layers} layer(s), hidden 768, 12 heads, FFN 3072, vocabulary 30,522; random weights)",
            config.VocabSize, 128,
            () => PretrainedModels.CreateSequenceClassifier(config, NumLabels),
            (_, trainability, lengths) => BertFlops.Count(config, trainability, lengths, NumLabels));
    }

    /// <summary>The default model: pretrained USE-Lite from the model cache with a fresh 2-class head.</summary>
    public static BenchmarkModel UseLite()
    {
        var config = new UseLiteConfig();
        return new BenchmarkModel(UseLiteKey,
            "USE-Lite (TextClassificationModel.LoadPretrained(\"use-lite\", 2): 2 pre-norm layers, width 256→512, FFN 1536, 8,002-row vocabulary)",
            config.VocabularyRows, config.MaxPositions,
            () =>
            {
                var loaded = TextClassificationModel.LoadPretrained(NamedModels.UseLite.Name, NumLabels);
                return loaded.Network;
            },
            (model, trainability, lengths) => UseLiteFlops.Count(((UseLiteClassifier)model).encoder.Config, trainability, lengths, NumLabels));
    }

    /// <summary>The <c>config.json</c> of BERT-base (uncased) with another number of layers, read by the library's own parser.</summary>
    public static EncoderConfig BertBaseConfig(int layers) => EncoderConfig.Parse($$"""
        {
          "model_type": "bert", "vocab_size": 30522, "hidden_size": 768, "num_hidden_layers": {{layers}}, "num_attention_heads": 12,
          "intermediate_size": 3072, "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
          "max_position_embeddings": 512, "type_vocab_size": 2, "initializer_range": 0.02, "layer_norm_eps": 1e-12, "pad_token_id": 0
        }
        """, "BERT-base config");
}
