using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>
/// A post-LayerNorm BERT encoder with BERT-base sizes (hidden 768, 12 heads, FFN 3072, vocabulary 30,522, 512 positions)
/// and random weights, for timing and memory only. The number of layers is a parameter so that it fits the machine.
/// </summary>
internal sealed class BertShapedClassifier : SequenceClassifier
{
    public const int Hidden = 768, Heads = 12, Intermediate = 3072, Vocabulary = 30522, Positions = 512;

    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;
    private readonly ModuleList<BertShapedLayer> layer;
    private readonly LoRALinear pooler;
    private readonly LoRALinear classifier;

    public BertShapedClassifier(int layers, int numLabels = 2) : base(nameof(BertShapedClassifier))
    {
        NumLabels = numLabels;
        word_embeddings = Embedding(Vocabulary, Hidden);
        position_embeddings = Embedding(Positions, Hidden);
        LayerNorm = nn.LayerNorm(Hidden, eps: 1e-12);
        dropout = Dropout(0.1);
        layer = new ModuleList<BertShapedLayer>(Enumerable.Range(0, layers).Select(_ => new BertShapedLayer()).ToArray());
        pooler = new LoRALinear(Hidden, Hidden);
        classifier = new LoRALinear(Hidden, numLabels);
        RegisterComponents();
    }

    public override ModelFamily Family => ModelFamily.Bert;
    public override int NumLabels { get; }
    public override IReadOnlyList<string> HeadParameterPrefixes => ["pooler.", "classifier."];
    public override IReadOnlyList<string> DefaultAdapterTargets => ["query", "value"];

    public override Tensor forward(EncoderBatch batch)
    {
        using var scope = NewDisposeScope();
        using var positions = torch.arange(batch.SequenceLength, device: batch.InputIds.device);
        var hidden = dropout.forward(LayerNorm.forward(word_embeddings.forward(batch.InputIds) + position_embeddings.forward(positions)));
        // Additive mask [batch, 1, 1, sequence]: 0 for tokens, a large negative number for padding.
        var additiveMask = (1 - batch.AttentionMask.to_type(hidden.dtype)).mul_(-1e4f).unsqueeze(1).unsqueeze(1);
        foreach (var block in layer) hidden = block.forward(hidden, additiveMask);
        var pooled = pooler.forward(hidden.select(1, 0)).tanh_();
        return classifier.forward(dropout.forward(pooled)).MoveToOuterDisposeScope();
    }

    internal sealed class BertShapedLayer : Module<Tensor, Tensor>
    {
        private readonly LoRALinear query = new(Hidden, Hidden);
        private readonly LoRALinear key = new(Hidden, Hidden);
        private readonly LoRALinear value = new(Hidden, Hidden);
        private readonly LoRALinear attention_output = new(Hidden, Hidden);
        private readonly LayerNorm attention_LayerNorm = nn.LayerNorm(Hidden, eps: 1e-12);
        private readonly LoRALinear intermediate = new(Hidden, Intermediate);
        private readonly LoRALinear output = new(Intermediate, Hidden);
        private readonly LayerNorm output_LayerNorm = nn.LayerNorm(Hidden, eps: 1e-12);
        private readonly Dropout dropout = Dropout(0.1);

        public BertShapedLayer() : base(nameof(BertShapedLayer)) => RegisterComponents();

        public override Tensor forward(Tensor hidden) => throw new NotSupportedException("Call forward(hidden, additiveMask).");

        public Tensor forward(Tensor hidden, Tensor additiveMask)
        {
            long batch = hidden.shape[0], length = hidden.shape[1];
            Tensor Split(Tensor x) => x.view(batch, length, Heads, Hidden / Heads).transpose(1, 2);
            var scores = Split(query.forward(hidden)).matmul(Split(key.forward(hidden)).transpose(-1, -2)).div_(Math.Sqrt(Hidden / Heads)).add_(additiveMask);
            var context = dropout.forward(softmax(scores, -1)).matmul(Split(value.forward(hidden))).transpose(1, 2).reshape(batch, length, Hidden);
            var attended = attention_LayerNorm.forward(dropout.forward(attention_output.forward(context)) + hidden);
            var expanded = functional.gelu(intermediate.forward(attended));
            return output_LayerNorm.forward(dropout.forward(output.forward(expanded)) + attended);
        }
    }
}
