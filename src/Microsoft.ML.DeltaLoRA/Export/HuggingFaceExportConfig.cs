using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;

namespace Microsoft.ML.DeltaLoRA.Export;

/// <summary>
/// The <c>config.json</c> of a Hugging Face export: the family's config (<see cref="EncoderConfig.ToJson"/>) with the class the
/// folder loads as (<c>architectures</c>), the classes (<c>id2label</c>/<c>label2id</c>), the <c>problem_type</c>, and a
/// <c>deltalora</c> object noting what transformers' config has no key for: the pooling, how pairs are read, the token limit.
/// transformers keeps unknown keys as attributes of the config, so the note survives a load and a <c>save_pretrained</c>.
/// </summary>
internal static class HuggingFaceExportConfig
{
    public const string NoteKey = "deltalora";

    public static string ToJson(EncoderConfig config, SequenceClassifier network, HuggingFaceLayout layout, ExportedTask task)
    {
        var family = config.WithNumLabels(task.OutputCount) with { Id2Label = task.Id2Label };
        var keys = JsonNode.Parse(family.ToJson())!.AsObject();
        var root = new JsonObject { ["architectures"] = new JsonArray(ArchitectureOf(config, layout)) };
        foreach (var (key, value) in keys) root[key] = value?.DeepClone();
        root["problem_type"] = task.ProblemType;
        root["torch_dtype"] = "float32";
        var note = new JsonObject
        {
            ["layout"] = layout.ToString(),
            ["pooling"] = network.Pooling.ToString(),
            ["pair_encoding"] = network.PairEncoding.ToString(),
            ["reads_text_pairs"] = task.ReadsTextPairs,
            ["max_sequence_length"] = task.MaxSequenceLength,
        };
        if (layout == HuggingFaceLayout.EncoderAndHead) note["head_file"] = HuggingFaceExport.HeadFileName;
        root[NoteKey] = note;
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>transformers' class name: <c>BertForSequenceClassification</c> and its siblings, or the bare <c>BertModel</c>.</summary>
    public static string ArchitectureOf(EncoderConfig config, HuggingFaceLayout layout)
    {
        var prefix = config.Family switch
        {
            Architectures.ModelFamily.Bert => "Bert",
            Architectures.ModelFamily.Roberta => "Roberta",
            Architectures.ModelFamily.DistilBert => "DistilBert",
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.Family, "Only BERT, RoBERTa and DistilBERT models have a transformers class."),
        };
        return layout == HuggingFaceLayout.SequenceClassification ? prefix + "ForSequenceClassification" : prefix + "Model";
    }
}
