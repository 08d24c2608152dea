using Google.Protobuf;
using Microsoft.ML.DeltaLoRA.Architectures;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Onnx;
using static Microsoft.ML.DeltaLoRA.Export.OnnxGraphBuilder;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Microsoft.ML.DeltaLoRA.Export;

/// <summary>The graph inputs of one text: token ids, attention mask and (BERT) token types.</summary>
internal sealed record OnnxEncoderInputs(string InputIds, string AttentionMask, string? TokenTypeIds);

/// <summary>
/// Writes a fine-tuned (merged) classifier as a standard ONNX model (opset 17) that ONNX Runtime, or any ONNX runtime, scores
/// without this library: int64 inputs <c>input_ids</c>, <c>attention_mask</c> and, for BERT, <c>token_type_ids</c>, all
/// [batch, sequence] with both axes dynamic; outputs <c>logits</c> [batch, labels] and, for a classifier (more than one output),
/// <c>probabilities</c> (their softmax). A BERT bi-encoder takes a second text as <c>input_ids_2</c>, <c>attention_mask_2</c> and
/// <c>token_type_ids_2</c>. The graph is written as torch.onnx writes Hugging Face models (see
/// <see cref="OnnxEncoderBlocks"/>), so ONNX Runtime's optimizer fuses it and our own ONNX reader reads it back.
/// </summary>
internal static class OnnxExport
{
    public const int OpsetVersion = 17;

    /// <summary>ONNX IR version 8: the one that goes with opset 17 (ONNX 1.12).</summary>
    private const long IrVersion = 8;

    /// <summary>
    /// Writes <paramref name="model"/>'s graph to <paramref name="path"/>, through a temporary file in the same folder that is
    /// moved into place only once it is complete: on any error no file (and no partial file) is left at <paramref name="path"/>.
    /// </summary>
    public static void Write(TextClassificationModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        Write(Build(model), path);
    }

    /// <summary>Writes a graph <see cref="Build"/> made, as <see cref="Write(TextClassificationModel, string)"/> does.</summary>
    public static void Write(ModelProto proto, string path)
    {
        ArgumentNullException.ThrowIfNull(proto);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                proto.WriteTo(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>
    /// The ONNX model of <paramref name="model"/>'s network; throws before anything is written when it cannot be exported. With
    /// <paramref name="fusedAttention"/>, each layer's self-attention is ONNX Runtime's contrib operator <c>com.microsoft.Attention</c>
    /// (<see cref="OnnxEncoderBlocks"/>): a graph for ONNX Runtime only (the ONNX Runtime scoring engine's), whose attention ORT
    /// runs as one kernel, where its optimizer does not fuse the standard-ops attention of opset 17. Without it (every export a
    /// user gets), the graph holds standard ONNX operators only.
    /// </summary>
    public static ModelProto Build(TextClassificationModel model, bool fusedAttention = false)
    {
        var network = model.Network;
        if (network.Family == ModelFamily.UseLite)
            throw new NotSupportedException(
                "USE-Lite models cannot be exported to ONNX yet: the exporter writes the BERT, RoBERTa and DistilBERT encoders, and USE-Lite's " +
                "network is a different one (a sinusoidal timing signal instead of position embeddings, its own attention and feed-forward " +
                "layout, L2-normalised sentence vectors) for which no graph writer exists. Fine-tune a BERT, RoBERTa or DistilBERT model to export it.");
        var adapted = network.named_modules().FirstOrDefault(m => m.module is LoRALinear { HasAdapter: true });
        if (adapted.module is not null)
            throw new InvalidOperationException($"Layer '{adapted.name}' still has an adapter; merge the adapters into the weights before exporting.");
        if (network is not IPretrainedTaskModel { Config: var config })
            throw new NotSupportedException($"The {network.Family} network {network.GetType().Name} has no encoder config; it cannot be exported to ONNX.");
        var source = $"the {network.Family} model";
        var builder = new OnnxGraphBuilder();
        var weights = new ExportedWeights(builder, Modeling.ModuleTensors.Export(network), source);
        var withTokenTypes = ModelFamilies.Of(network.Family).UsesTokenTypeIds;
        var first = Inputs(builder, "", withTokenTypes);
        var second = network.PairEncoding == SentencePairEncoding.BiEncoder ? Inputs(builder, "_2", withTokenTypes) : null;
        var logits = network.Family switch
        {
            ModelFamily.Bert or ModelFamily.Roberta => BertOnnxExport.Build(builder, weights, config, network.Pooling, first, second, fusedAttention),
            ModelFamily.DistilBert => DistilBertOnnxExport.Build(builder, weights, config, first, fusedAttention),
            _ => throw new NotSupportedException($"The {network.Family} family has no ONNX graph writer."),
        };
        builder.Output(builder.Rename(logits, "logits"), DataType.Float, "batch", network.NumLabels);
        if (network.NumLabels > 1)
        {
            var probabilities = builder.Rename(builder.Node("Softmax", ["logits"], Int("axis", -1)), "probabilities");
            builder.Output(probabilities, DataType.Float, "batch", network.NumLabels);
        }

        var graph = builder.Graph;
        graph.Name = $"{config.ModelType}_for_sequence_classification";
        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Microsoft.ML.DeltaLoRA",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "",
            Graph = graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetVersion });
        if (fusedAttention) proto.OpsetImport.Add(new OperatorSetIdProto { Domain = OnnxGraphBuilder.OnnxRuntimeDomain, Version = 1 });
        return proto;
    }

    /// <summary>
    /// The int64 [batch, sequence] inputs of one text: <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c>; a bi-encoder's
    /// second text has its own, suffixed <c>_2</c>, whose sequence axis is independent of the first's.
    /// </summary>
    private static OnnxEncoderInputs Inputs(OnnxGraphBuilder builder, string suffix, bool withTokenTypes)
    {
        var sequence = "sequence" + suffix;
        return new OnnxEncoderInputs(
            builder.Input("input_ids" + suffix, DataType.Int64, "batch", sequence),
            builder.Input("attention_mask" + suffix, DataType.Int64, "batch", sequence),
            withTokenTypes ? builder.Input("token_type_ids" + suffix, DataType.Int64, "batch", sequence) : null);
    }
}
