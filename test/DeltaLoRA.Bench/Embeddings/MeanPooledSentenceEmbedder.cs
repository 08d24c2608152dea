using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using TorchSharp;
using static TorchSharp.torch;

namespace DeltaLoRA.Bench.Embeddings;

/// <summary>
/// A Hugging Face encoder's sentence vector: the mean of its last hidden states over the real (unpadded) tokens, the usual
/// choice for models trained without a sentence objective. Works with bare-model and *ForSequenceClassification folders.
/// </summary>
internal sealed class MeanPooledSentenceEmbedder : SentenceEmbedder
{
    private readonly PretrainedEncoder _encoder;

    private MeanPooledSentenceEmbedder(SequenceTokenizer tokenizer, PretrainedEncoder encoder, int maxSequenceLength) : base(tokenizer, maxSequenceLength)
    {
        _encoder = encoder;
        _encoder.eval();
    }

    public static MeanPooledSentenceEmbedder Load(string folder, int maxSequenceLength)
    {
        var config = EncoderConfig.Load(folder);
        var tokenizer = PretrainedTokenizers.Load(folder, config.Family);
        var encoder = PretrainedModels.CreateEncoder(config, addPoolingLayer: false);
        try
        {
            using var weights = CheckpointWeights.Read(folder);
            HuggingFaceWeightLoader.Load(encoder, config, weights, headPrefixes: []);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
        return new MeanPooledSentenceEmbedder(tokenizer, encoder, maxSequenceLength);
    }

    public override int Dimension => _encoder.Config.HiddenSize;

    protected override Tensor EmbedBatch(EncoderBatch batch)
    {
        var hidden = _encoder.forward(batch);
        var mask = batch.AttentionMask.to(ScalarType.Float32).unsqueeze(-1);
        using var oneToken = 1.0.ToScalar();
        return (hidden * mask).sum(1) / mask.sum(1).clamp_min(oneToken);
    }

    public override void Dispose() => _encoder.Dispose();
}
