using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Tests.Training;

/// <summary>
/// A two-block attention classifier small enough for exact tests, named like a Hugging Face encoder
/// (<c>blocks.0.query</c>, <c>blocks.0.value</c>, <c>blocks.0.LayerNorm</c>, <c>classifier</c>…) so that adapter targets,
/// head prefixes and no-decay rules see realistic names.
/// </summary>
internal sealed class TinyClassifier : SequenceClassifier
{
    public const int VocabularySize = 40;

    private readonly Embedding word_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly ModuleList<TinyBlock> blocks;
    private readonly Dropout dropout;
    private readonly LoRALinear classifier;
    private readonly int _numLabels;

    public TinyClassifier(int hidden = 16, int numLabels = 3, int blockCount = 2, double dropoutProbability = 0.1) : base(nameof(TinyClassifier))
    {
        _numLabels = numLabels;
        word_embeddings = Embedding(VocabularySize, hidden);
        LayerNorm = nn.LayerNorm(hidden);
        blocks = new ModuleList<TinyBlock>(Enumerable.Range(0, blockCount).Select(_ => new TinyBlock(hidden, dropoutProbability)).ToArray());
        dropout = Dropout(dropoutProbability);
        classifier = new LoRALinear(hidden, numLabels);
        RegisterComponents();
    }

    public override ModelFamily Family => ModelFamily.Bert;
    public override int NumLabels => _numLabels;
    /// <summary>No position embeddings: any length.</summary>
    public override int MaxSequenceLength => int.MaxValue;
    public override IReadOnlyList<string> HeadParameterPrefixes => ["classifier."];
    public override IReadOnlyList<string> DefaultAdapterTargets => ["query", "value"];

    public override Tensor forward(EncoderBatch batch)
    {
        using var scope = NewDisposeScope();
        var hidden = dropout.forward(LayerNorm.forward(word_embeddings.forward(batch.InputIds)));
        var keep = batch.AttentionMask.to_type(hidden.dtype);
        foreach (var block in blocks) hidden = block.forward(hidden, keep);
        var pooled = (hidden * keep.unsqueeze(-1)).sum(1) / keep.sum(1, keepdim: true);
        return classifier.forward(dropout.forward(pooled)).MoveToOuterDisposeScope();
    }

    /// <summary>Single-head self-attention with a residual and a layer norm.</summary>
    internal sealed class TinyBlock : Module<Tensor, Tensor>
    {
        private readonly LoRALinear query;
        private readonly LoRALinear key;
        private readonly LoRALinear value;
        private readonly LoRALinear dense;
        private readonly LayerNorm LayerNorm;
        private readonly Dropout dropout;

        public TinyBlock(int hidden, double dropoutProbability) : base(nameof(TinyBlock))
        {
            query = new LoRALinear(hidden, hidden);
            key = new LoRALinear(hidden, hidden);
            value = new LoRALinear(hidden, hidden);
            dense = new LoRALinear(hidden, hidden);
            LayerNorm = nn.LayerNorm(hidden);
            dropout = Dropout(dropoutProbability);
            RegisterComponents();
        }

        public override Tensor forward(Tensor hidden) => throw new NotSupportedException("Call forward(hidden, keepMask).");

        public Tensor forward(Tensor hidden, Tensor keep)
        {
            var scores = query.forward(hidden).matmul(key.forward(hidden).transpose(1, 2)) / Math.Sqrt(hidden.shape[^1]);
            using var zero = 0.ToScalar();
            using var minusInfinity = float.NegativeInfinity.ToScalar();
            scores = scores.masked_fill(keep.unsqueeze(1).eq(zero), minusInfinity);
            var attended = dropout.forward(softmax(scores, -1)).matmul(value.forward(hidden));
            return LayerNorm.forward(hidden + dropout.forward(dense.forward(attended)));
        }
    }
}
