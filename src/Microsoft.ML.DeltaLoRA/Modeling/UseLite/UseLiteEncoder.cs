using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Modeling.UseLite;

/// <summary>
/// Universal Sentence Encoder Lite in TorchSharp: token ids → [batch, 512] L2-normalized sentence vectors, computing
/// what the TF.js graph computes. The graph takes sparse (row, position) → id input; here padded rows and their
/// attention mask carry the same information: padding gets no attention (bias −1e9 on its keys) and no share of the
/// mean, so a sentence's vector does not depend on what else is in its batch. Positions past
/// <see cref="UseLiteConfig.MaxPositions"/> are dropped, as the graph's ClipToMaxLength step drops them.
/// </summary>
internal sealed class UseLiteEncoder : Module<EncoderBatch, Tensor>
{
    private const double PaddingBias = -1e9;
    private const double MinimumSquaredNorm = 1e-12;

    // Submodules are fields named as they are registered, not auto-properties: TorchSharp's RegisterComponents
    // reflects over fields and would register an auto-property's backing field a second time, as
    // "<name>k__BackingField", so named_modules() would list every layer twice.
#pragma warning disable IDE1006
    public readonly Embedding word_embeddings;
    public readonly ModuleList<UseLiteLayer> layer;
    /// <summary>The graph's <c>hidden_layers/tanh_layer_0</c>, applied to the mean-pooled states.</summary>
    public readonly LoRALinear pooler;
    /// <summary>[EmbeddingSize / 2] inverse timescales of the sinusoidal timing signal (a buffer, stored in the graph).</summary>
    /// <remarks>Looked up on each use, so that it is the registered buffer wherever <c>to(device)</c> has moved it.</remarks>
    public Tensor timing_inv_timescales => get_buffer(nameof(timing_inv_timescales))!;
#pragma warning restore IDE1006

    public UseLiteEncoder(UseLiteConfig? config = null) : base(nameof(UseLiteEncoder))
    {
        Config = config ?? new UseLiteConfig();
        Config.Validate();
        word_embeddings = Embedding(Config.VocabularyRows, Config.EmbeddingSize);
        layer = new ModuleList<UseLiteLayer>(
            Enumerable.Range(0, Config.NumLayers).Select(i => new UseLiteLayer(Config.AttentionWidth(i), Config)).ToArray());
        pooler = new LoRALinear(Config.HiddenSize, Config.HiddenSize);
        register_module(nameof(word_embeddings), word_embeddings);
        register_module(nameof(layer), layer);
        register_module(nameof(pooler), pooler);
        register_buffer(nameof(timing_inv_timescales), DefaultInverseTimescales(Config.EmbeddingSize / 2));
    }

    public UseLiteConfig Config { get; }

    /// <summary>Output width: the hidden size (512).</summary>
    public int OutputSize => Config.HiddenSize;

    /// <summary>Loads the pretrained weights from a USE-Lite TF.js model folder (see <see cref="UseLiteModelFiles"/>).</summary>
    public static UseLiteEncoder FromPretrained(string modelDirectory)
    {
        var encoder = new UseLiteEncoder();
        try
        {
            UseLiteWeightLoader.Load(modelDirectory, encoder);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
        return encoder;
    }

    public override Tensor forward(EncoderBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = NewDisposeScope();
        var (ids, mask) = ClipToMaxPositions(batch.InputIds, batch.AttentionMask);
        CheckIds(ids);
        long length = ids.shape[1];
        using var lengthScalar = length.ToScalar();
        using var two = 2.0.ToScalar();
        using var paddingBias = PaddingBias.ToScalar();
        using var one = 1.0.ToScalar();
        using var minimumSquaredNorm = MinimumSquaredNorm.ToScalar();

        var positions = arange(lengthScalar, dtype: ScalarType.Float32, device: ids.device);
        var angles = positions.unsqueeze(1) * timing_inv_timescales.unsqueeze(0);
        var timing = cat([angles.sin(), angles.cos()], 1);
        // The graph's AddTimingSignal returns embeddings + timing, and the stack then adds the embeddings once more
        // (Layer_0/add = Scatter(embeddings) + Scatter(embeddings + timing)): the input is 2·embedding + timing.
        var hidden = word_embeddings.forward(ids).mul_(two).add_(timing);

        var realTokens = mask.to(ScalarType.Float32);
        var attentionBias = (1.0f - realTokens).mul_(paddingBias).view(ids.shape[0], 1, 1, length);
        foreach (var block in layer) hidden = block.forward(hidden, attentionBias);

        var counts = realTokens.sum(1, keepdim: true).clamp_min(one);
        var pooled = (hidden * realTokens.unsqueeze(-1)).sum(1) / counts;
        var activated = pooler.forward(pooled).tanh();
        var inverseNorm = activated.square().sum(1, keepdim: true).clamp_min(minimumSquaredNorm).rsqrt();
        return (activated * inverseNorm).MoveToOuterDisposeScope();
    }

    /// <summary>tensor2tensor's timescales (1 to 10⁴, geometric); the pretrained graph stores these values.</summary>
    internal static Tensor DefaultInverseTimescales(int count)
    {
        double increment = Math.Log(1e4) / Math.Max(count - 1, 1);
        using var end = count.ToScalar();
        using var step = (-increment).ToScalar();
        using var scope = NewDisposeScope();
        return exp(arange(end, dtype: ScalarType.Float64).mul_(step)).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    private (Tensor Ids, Tensor Mask) ClipToMaxPositions(Tensor ids, Tensor mask)
    {
        if (ids.dim() != 2 || !ids.shape.SequenceEqual(mask.shape))
            throw new ArgumentOutOfRangeException(nameof(EncoderBatch),
                $"InputIds and AttentionMask must both be [batch, sequence]; found [{string.Join(", ", ids.shape)}] and [{string.Join(", ", mask.shape)}].");
        if (ids.shape[1] <= Config.MaxPositions) return (ids, mask);
        return (ids.narrow(1, 0, Config.MaxPositions), mask.narrow(1, 0, Config.MaxPositions));
    }

    private void CheckIds(Tensor ids)
    {
        if (ids.numel() == 0) return;
        long smallest = ids.min().item<long>(), largest = ids.max().item<long>();
        if (smallest < 0 || largest >= Config.VocabularyRows)
            throw new ArgumentOutOfRangeException(nameof(EncoderBatch.InputIds),
                $"InputIds holds ids from {smallest} to {largest}; the embedding table has rows 0 to {Config.VocabularyRows - 1}.");
    }
}
