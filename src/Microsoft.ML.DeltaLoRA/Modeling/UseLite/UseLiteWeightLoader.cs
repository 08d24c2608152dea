using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Modeling.UseLite;

/// <summary>
/// Copies the weights of the USE-Lite TF.js graph into a <see cref="UseLiteEncoder"/>. TensorFlow kernels are
/// [in, out] (1×1 convolutions [1, 1, in, out]); <see cref="LoRALinear"/> holds [out, in], so kernels are transposed.
/// The graph's scalar constants (attention scale, layer-norm epsilon, head split, maximum length) are checked against
/// the configuration, so a different graph fails here rather than computing something else.
/// </summary>
internal static class UseLiteWeightLoader
{
    private const string Encode = "module_apply_default/Encoder_en/KonaTransformer/Encode/";
    private const string Stack = Encode + "TransformerStack/";
    private const string Variables = "module/Encoder_en/KonaTransformer/Encode/";

    public static void Load(string modelDirectory, UseLiteEncoder encoder)
    {
        using var graph = TfjsGraphModel.Open(modelDirectory);
        var config = encoder.Config;
        CheckConstants(graph, config);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        Copy(graph.ReadTensor("module/Embeddings_en", config.VocabularyRows, config.EmbeddingSize), encoder.word_embeddings.weight!, "module/Embeddings_en");
        int channels = config.EmbeddingSize / 2;
        string timing = Stack + "Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1";
        Copy(graph.ReadTensor(timing, 1, channels).view(channels), encoder.timing_inv_timescales, timing);

        for (int i = 0; i < config.NumLayers; i++)
            LoadLayer(graph, encoder.layer[i], i, config);

        LoadLinear(graph, encoder.pooler, "module/Encoder_en/hidden_layers/tanh_layer_0/weights", "module/Encoder_en/hidden_layers/tanh_layer_0/bias",
            config.HiddenSize, config.HiddenSize);
    }

    private static void LoadLayer(TfjsGraphModel graph, UseLiteLayer layer, int index, UseLiteConfig config)
    {
        string layerPath = $"{Encode}Layer_{index}/TransformerLayer/";
        string variablePath = $"{Variables}Layer_{index}/TransformerLayer/";
        int width = config.AttentionWidth(index);
        int hidden = config.HiddenSize;
        var attention = layer.attention;

        LoadLayerNorm(graph, attention.layer_norm, layerPath + "layer_prepostprocess/layer_norm/", width);

        string qkvKernelName = variablePath + "MultiheadAttention/qkv_transform_single/kernel/part_0";
        string qkvBiasName = layerPath + "MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat";
        var qkvKernel = graph.ReadTensor(qkvKernelName, 1, 1, width, 3L * width).view(width, 3L * width);
        var qkvBias = graph.ReadTensor(qkvBiasName, 3L * width);
        // The graph splits the fused projection into [query | key | value] along its output columns.
        LoRALinear[] parts = [attention.query, attention.key, attention.value];
        for (int part = 0; part < 3; part++)
        {
            Copy(qkvKernel.narrow(1, part * width, width).t(), parts[part].weight, $"{qkvKernelName} (columns of part {part})");
            Copy(qkvBias.narrow(0, part * width, width), parts[part].bias!, $"{qkvBiasName} (part {part})");
        }

        var outputKernelName = variablePath + "MultiheadAttention/output_transform_single/kernel/part_0";
        Copy(graph.ReadTensor(outputKernelName, 1, 1, width, hidden).view(width, hidden).t(), attention.output.weight, outputKernelName);
        var outputBiasName = layerPath + "MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat";
        Copy(graph.ReadTensor(outputBiasName, hidden), attention.output.bias!, outputBiasName);

        if (layer.residual_projection is { } projection)
            LoadLinear(graph, projection, layerPath + "dense/kernel/ConcatPartitions/concat", layerPath + "dense/bias/ConcatPartitions/concat", width, hidden);

        var feedForward = layer.feed_forward;
        LoadLayerNorm(graph, feedForward.layer_norm, layerPath + "FFN/layer_prepostprocess/layer_norm/", hidden);
        LoadLinear(graph, feedForward.intermediate, $"{Stack}Layer_{index}/TransformerLayer/FFN/conv1/Tensordot/Reshape_1",
            layerPath + "FFN/conv1/bias/ConcatPartitions/concat", hidden, config.IntermediateSize);
        LoadLinear(graph, feedForward.output, $"{Stack}Layer_{index}/TransformerLayer/FFN/conv2/Tensordot/Reshape_1",
            layerPath + "FFN/conv2/bias/ConcatPartitions/concat", config.IntermediateSize, hidden);
    }

    private static void LoadLinear(TfjsGraphModel graph, LoRALinear linear, string kernelName, string biasName, int inFeatures, int outFeatures)
    {
        Copy(graph.ReadTensor(kernelName, inFeatures, outFeatures).t(), linear.weight, kernelName);
        Copy(graph.ReadTensor(biasName, outFeatures), linear.bias!, biasName);
    }

    private static void LoadLayerNorm(TfjsGraphModel graph, LayerNorm norm, string prefix, int width)
    {
        string scale = prefix + "layer_norm_scale/ConcatPartitions/concat";
        string bias = prefix + "layer_norm_bias/ConcatPartitions/concat";
        Copy(graph.ReadTensor(scale, width), norm.weight!, scale);
        Copy(graph.ReadTensor(bias, width), norm.bias!, bias);
    }

    private static void Copy(Tensor source, Tensor destination, string sourceName)
    {
        if (!source.shape.SequenceEqual(destination.shape))
            throw new InvalidDataException(
                $"Weight '{sourceName}' has shape [{string.Join(", ", source.shape)}]; the module expects [{string.Join(", ", destination.shape)}].");
        destination.copy_(source);
    }

    private static void CheckConstants(TfjsGraphModel graph, UseLiteConfig config)
    {
        for (int i = 0; i < config.NumLayers; i++)
        {
            int headSize = config.AttentionWidth(i) / config.NumHeads;
            CheckScalar(graph, $"{Stack}Layer_{i}/TransformerLayer/MultiheadAttention/mul/y", 1.0 / Math.Sqrt(headSize), "attention scale 1/√(head size)");
            CheckScalar(graph, $"{Stack}Layer_{i}/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/3", headSize, "head size");
        }
        CheckScalar(graph, Stack + "Layer_1/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2", config.NumHeads, "number of heads");
        CheckScalar(graph, Stack + "Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x", config.LayerNormEpsilon, "layer-norm epsilon");
        CheckScalar(graph, "module_apply_default/Encoder_en/KonaTransformer/ClipToMaxLength/Less/y", config.MaxPositions, "maximum sequence length");
    }

    private static void CheckScalar(TfjsGraphModel graph, string name, double expected, string meaning)
    {
        using var value = graph.ReadTensor(name);
        double found = value.to(ScalarType.Float64).item<double>();
        if (Math.Abs(found - expected) > 1e-6 * Math.Max(1.0, Math.Abs(expected)))
            throw new InvalidDataException($"{graph.ModelJsonPath}: constant '{name}' ({meaning}) is {found}; this encoder expects {expected}.");
    }
}
