using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.UseLite;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using static TorchSharp.torch;

namespace DeltaLoRA.Bench.Embeddings;

/// <summary>Universal Sentence Encoder Lite's own sentence vector (512-d, L2-normalized), as the pretrained graph computes it.</summary>
internal sealed class UseLiteSentenceEmbedder : SentenceEmbedder
{
    private readonly UseLiteEncoder _encoder;

    private UseLiteSentenceEmbedder(UseLiteTokenizer tokenizer, UseLiteEncoder encoder, int maxSequenceLength) : base(tokenizer, maxSequenceLength)
    {
        _encoder = encoder;
        _encoder.eval();
    }

    public static UseLiteSentenceEmbedder Load(string folder, int maxSequenceLength)
    {
        var tokenizer = UseLiteTokenizer.FromVocabularyFile(Path.Combine(folder, "vocab.json"));
        return new UseLiteSentenceEmbedder(tokenizer, UseLiteEncoder.FromPretrained(folder), maxSequenceLength);
    }

    public override int Dimension => _encoder.OutputSize;

    protected override Tensor EmbedBatch(EncoderBatch batch) => _encoder.forward(batch);

    public override void Dispose() => _encoder.Dispose();
}
