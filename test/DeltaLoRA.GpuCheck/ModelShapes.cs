using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.GpuCheck;

/// <summary>
/// BERT-shaped classifiers with random weights (Hugging Face's initialisation), so that no model file has to travel to the GPU
/// machine. build/cuda/peers.py builds the same shapes in transformers from the same numbers.
/// </summary>
internal sealed record ModelShape(string Name, int Layers, int Hidden, int Heads, int Intermediate, int Vocabulary)
{
    public static readonly ModelShape BertBase = new("bert-base", 12, 768, 12, 3072, 30522);
    public static readonly ModelShape MiniLM = new("minilm-l6", 6, 384, 12, 1536, 30522);
    /// <summary>For the test suite's CPU run: the same code path at a size two cores time in seconds.</summary>
    public static readonly ModelShape Tiny = new("tiny", 2, 64, 4, 128, 1000);
    public static readonly IReadOnlyList<ModelShape> All = [BertBase, MiniLM, Tiny];

    public EncoderConfig Config() => EncoderConfig.Parse($$"""
        {
          "model_type": "bert", "vocab_size": {{Vocabulary}}, "hidden_size": {{Hidden}}, "num_hidden_layers": {{Layers}},
          "num_attention_heads": {{Heads}}, "intermediate_size": {{Intermediate}}, "hidden_act": "gelu",
          "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 512, "type_vocab_size": 2,
          "initializer_range": 0.02, "layer_norm_eps": 1e-12, "pad_token_id": 0
        }
        """, $"{Name} config");

    /// <summary>A seeded two-class classifier on <paramref name="device"/>.</summary>
    public SequenceClassifier Create(Device device, int seed = 0)
    {
        torch.manual_seed(seed);
        var model = PretrainedModels.CreateSequenceClassifier(Config(), numLabels: 2);
        if (device.type != DeviceType.CPU) model.to(device);
        return model;
    }

    /// <summary>A batch of random token ids, every sequence <paramref name="length"/> long, with random labels.</summary>
    public (EncoderBatch Batch, Tensor Labels) RandomBatch(int batchSize, int length, Device device, int seed = 1)
    {
        using var generator = new torch.Generator((ulong)seed);
        var ids = torch.randint(1, Vocabulary, [batchSize, length], dtype: ScalarType.Int64, generator: generator).to(device);
        var mask = torch.ones([batchSize, length], dtype: ScalarType.Int64, device: device);
        var labels = torch.randint(0, 2, [batchSize], dtype: ScalarType.Int64, generator: generator).to(device);
        return (new EncoderBatch(ids, mask), labels);
    }
}
