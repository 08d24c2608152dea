using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Export;

/// <summary>
/// Writes a fine-tuned model as a Hugging Face folder: <c>config.json</c> (<see cref="HuggingFaceExportConfig"/>),
/// <c>model.safetensors</c> with the merged weights under transformers' own names, the tokenizer files, and a README.md.
/// The <see cref="HuggingFaceLayout"/> follows the head: transformers' <c>...ForSequenceClassification</c> where it computes the
/// same logits, else the encoder as <c>BertModel</c> plus the head in <see cref="HeadFileName"/>. The folder appears whole or
/// not at all (<see cref="ExportFolder"/>).
/// </summary>
internal static class HuggingFaceExport
{
    public const string WeightsFileName = "model.safetensors";
    public const string HeadFileName = "classifier.safetensors";
    public const string ReadmeFileName = "README.md";

    /// <summary>transformers refuses a safetensors file whose metadata lacks <c>format</c> (it tells PyTorch files from TF and Flax ones).</summary>
    public static IReadOnlyDictionary<string, string> PyTorchMetadata { get; } = new Dictionary<string, string> { ["format"] = "pt" };

    /// <summary>The fitted model of an ML.NET pipeline, with the class names of its label's key values.</summary>
    public static HuggingFaceLayout Write(DeltaLoRATransformer transformer, string folder)
    {
        var (model, task) = ModelAndTask(transformer);
        return Write(model, task, folder);
    }

    /// <summary>The TorchSharp network of a fitted pipeline's model, and what it predicts: its label's class names, its pairs, its token limit.</summary>
    public static (TextClassificationModel Model, ExportedTask Task) ModelAndTask(DeltaLoRATransformer transformer)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        if (transformer.Scorer.Engine is not TorchSharpScoringEngine engine)
            throw new InvalidOperationException($"This model scores with the '{transformer.Scorer.Engine.FormatTag}' engine, which holds no TorchSharp network to export.");
        var columns = transformer.Columns;
        var classNames = columns.Task == PredictionTask.Regression
            ? null
            : columns.ClassNames ?? Enumerable.Range(0, columns.OutputCount).Select(i => $"LABEL_{i}").ToArray();
        return (engine.Model, new ExportedTask(classNames, columns.Sentence2ColumnName is not null, engine.MaxSequenceLength));
    }

    public static HuggingFaceLayout Write(TextClassificationModel model, ExportedTask task, string folder)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(task);
        var network = model.Network;
        if (network is not IPretrainedTaskModel pretrained)
            throw new InvalidOperationException(
                $"A {model.Family} model has no Hugging Face transformers architecture, so it cannot be exported as a Hugging Face folder; BERT, RoBERTa and DistilBERT models can.");
        if (task.OutputCount != model.NumLabels)
            throw new ArgumentException($"The task has {task.OutputCount} outputs but the model's head has {model.NumLabels}.", nameof(task));
        var adapted = network.named_modules().FirstOrDefault(m => m.module is LoRALinear { HasAdapter: true });
        if (adapted.module is not null)
            throw new InvalidOperationException($"Layer '{adapted.name}' still has an adapter; merge the adapters into the weights before exporting.");

        var config = pretrained.Config;
        var layout = HuggingFaceLayouts.Of(network);
        // Everything that can fail on the model's side happens before the folder is made.
        var configJson = HuggingFaceExportConfig.ToJson(config, network, layout, task);
        var tokenizerFiles = TokenizerFiles(model);
        var tensors = ModuleTensors.Export(network);
        var encoderPrefix = config.BaseModelPrefix + ".";
        var (weights, head) = layout == HuggingFaceLayout.SequenceClassification
            ? (tensors, new Dictionary<string, Tensor>())
            : (tensors.Where(t => t.Key.StartsWith(encoderPrefix, StringComparison.Ordinal)).ToDictionary(t => t.Key[encoderPrefix.Length..], t => t.Value),
               tensors.Where(t => !t.Key.StartsWith(encoderPrefix, StringComparison.Ordinal)).ToDictionary(t => t.Key, t => t.Value));
        var readme = HuggingFaceExportReadme.Text(config, network, layout, task);

        ExportFolder.Write(folder, staging =>
        {
            File.WriteAllText(Path.Combine(staging, EncoderConfig.FileName), configJson);
            foreach (var (name, bytes) in tokenizerFiles) File.WriteAllBytes(Path.Combine(staging, name), bytes);
            WriteSafetensors(Path.Combine(staging, WeightsFileName), weights);
            if (layout == HuggingFaceLayout.EncoderAndHead)
            {
                WriteSafetensors(Path.Combine(staging, HeadFileName), head);
                if (WritesSentenceTransformersModules(network, task))
                    SentenceTransformersModules.Write(staging, network.Pooling, config.HiddenSize, task.MaxSequenceLength, head["classifier.weight"], head["classifier.bias"]);
            }
            File.WriteAllText(Path.Combine(staging, ReadmeFileName), readme);
        });
        return layout;
    }

    /// <summary>A single-text model with mean or [CLS] pooling is a sentence-transformers pipeline whose last module is its head.</summary>
    public static bool WritesSentenceTransformersModules(SequenceClassifier network, ExportedTask task)
        => HuggingFaceLayouts.Of(network) == HuggingFaceLayout.EncoderAndHead && !task.ReadsTextPairs
            && network.PairEncoding == SentencePairEncoding.CrossEncoder && network.Pooling != SentencePooling.Pooler;

    private static void WriteSafetensors(string path, IReadOnlyDictionary<string, Tensor> tensors)
    {
        using var stream = File.Create(path);
        SafetensorsWriter.Write(stream, tensors, PyTorchMetadata);
    }

    /// <summary>The tokenizer files stored with the model (the family's required files and the optional configs), as transformers reads them.</summary>
    public static IReadOnlyList<KeyValuePair<string, byte[]>> TokenizerFiles(TextClassificationModel model)
    {
        var stored = model.ArchitectureFiles;
        var missing = PretrainedTokenizers.RequiredFileNames(model.Family).Where(name => !stored.ContainsKey(name)).ToArray();
        if (missing.Length > 0)
            throw new InvalidOperationException($"The model does not hold its tokenizer's {string.Join(", ", missing)}; it cannot be exported with its tokenizer.");
        return PretrainedTokenizers.RequiredFileNames(model.Family).Concat(PretrainedTokenizers.OptionalFileNames)
            .Where(stored.ContainsKey).Select(name => new KeyValuePair<string, byte[]>(name, stored[name])).ToArray();
    }
}
