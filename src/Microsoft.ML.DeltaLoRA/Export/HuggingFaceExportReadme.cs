using System.Text;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;

namespace Microsoft.ML.DeltaLoRA.Export;

/// <summary>The README.md of a Hugging Face export: what the folder holds, and the Python that computes the model's outputs from it.</summary>
internal static class HuggingFaceExportReadme
{
    public static string Text(EncoderConfig config, SequenceClassifier network, HuggingFaceLayout layout, ExportedTask task)
    {
        var text = new StringBuilder();
        var architecture = HuggingFaceExportConfig.ArchitectureOf(config, layout);
        var outputs = task.IsRegression ? "one regression value" : $"{task.OutputCount} logits (softmax gives the class probabilities)";
        text.AppendLine("# Fine-tuned text classifier (exported by Microsoft.ML.DeltaLoRA)").AppendLine();
        text.AppendLine($"A {config.Family} {(task.IsRegression ? "regression model" : "classifier")}: for each input it computes {outputs}.");
        if (!task.IsRegression) text.AppendLine($"Classes by output index: {string.Join(", ", task.ClassNames!.Select((name, i) => $"{i} = `{name}`"))}.");
        text.AppendLine($"Inputs were truncated to {task.MaxSequenceLength} tokens in training and scoring (`max_length={task.MaxSequenceLength}` below).");
        text.AppendLine("Low-rank adapters (LoRA, Delta-LoRA) are merged into the weights, so the network is the plain architecture.").AppendLine();

        if (layout == HuggingFaceLayout.SequenceClassification)
        {
            text.AppendLine($"The folder is a transformers `{architecture}` (config.json, model.safetensors, tokenizer files):").AppendLine();
            text.AppendLine("```python");
            text.AppendLine("import torch");
            text.AppendLine("from transformers import AutoModelForSequenceClassification, AutoTokenizer");
            text.AppendLine("tokenizer = AutoTokenizer.from_pretrained(FOLDER)");
            text.AppendLine("model = AutoModelForSequenceClassification.from_pretrained(FOLDER).eval()");
            text.AppendLine($"batch = tokenizer({Inputs(task)}, padding=True, truncation=True, max_length={task.MaxSequenceLength}, return_tensors=\"pt\")");
            text.AppendLine("with torch.no_grad():");
            text.AppendLine("    logits = model(**batch).logits");
            text.AppendLine("```");
            return text.ToString();
        }

        text.AppendLine($"transformers has no `...ForSequenceClassification` class for this head: its BERT head always reads tanh(dense([CLS])), "
            + $"and this one reads {PoolingInWords(network.Pooling)}{(network.PairEncoding == SentencePairEncoding.BiEncoder ? ", of each text of a pair encoded alone, combined as [u, v, |u−v|, u⊙v]" : "")}. "
            + "So the folder holds the closest faithful form:").AppendLine();
        text.AppendLine($"- the encoder as a transformers `{architecture}` (config.json, model.safetensors, tokenizer files), which `AutoModel.from_pretrained` loads"
            + (network.Pooling == SentencePooling.Pooler ? ";" : " (it warns that the pooler is newly initialised: this model does not use it);"));
        text.AppendLine($"- the head, `{HuggingFaceExport.HeadFileName}`: `classifier.weight` [{task.OutputCount}, {(network.PairEncoding == SentencePairEncoding.BiEncoder ? "4 × " : "")}{config.HiddenSize}] and `classifier.bias`;");
        text.AppendLine($"- config.json's `{HuggingFaceExportConfig.NoteKey}` object notes the pooling, the pair encoding and the token limit.").AppendLine();
        if (HuggingFaceExport.WritesSentenceTransformersModules(network, task))
        {
            text.AppendLine("It is also a sentence-transformers model (modules.json: encoder, `1_Pooling`, and the head as `2_Dense` with the identity activation), "
                + "whose embedding is the model's output:").AppendLine();
            text.AppendLine("```python");
            text.AppendLine("from sentence_transformers import SentenceTransformer");
            text.AppendLine("logits = SentenceTransformer(FOLDER).encode([\"a text\"], convert_to_tensor=True)");
            text.AppendLine("```").AppendLine();
        }
        text.AppendLine("With transformers and safetensors alone:").AppendLine();
        text.AppendLine("```python");
        text.AppendLine("import torch");
        text.AppendLine("from safetensors.torch import load_file");
        text.AppendLine("from transformers import AutoModel, AutoTokenizer");
        text.AppendLine("tokenizer = AutoTokenizer.from_pretrained(FOLDER)");
        text.AppendLine("encoder = AutoModel.from_pretrained(FOLDER).eval()");
        text.AppendLine($"head = load_file(f\"{{FOLDER}}/{HuggingFaceExport.HeadFileName}\")");
        text.AppendLine().AppendLine("def embed(*texts):  # one list of texts, or two for pairs read as one sequence");
        text.AppendLine($"    batch = tokenizer(*texts, padding=True, truncation=True, max_length={task.MaxSequenceLength}, return_tensors=\"pt\")");
        text.AppendLine("    output = encoder(**batch)");
        text.AppendLine(network.Pooling switch
        {
            SentencePooling.Pooler => "    return output.pooler_output",
            SentencePooling.ClsToken => "    return output.last_hidden_state[:, 0]",
            _ => "    mask = batch[\"attention_mask\"].unsqueeze(-1).to(output.last_hidden_state.dtype)\n"
                + "    return (output.last_hidden_state * mask).sum(1) / mask.sum(1).clamp(min=1e-9)",
        });
        text.AppendLine().AppendLine("with torch.no_grad():");
        if (network.PairEncoding == SentencePairEncoding.BiEncoder)
        {
            text.AppendLine("    u, v = embed([\"first text\"]), embed([\"second text\"])");
            text.AppendLine("    features = torch.cat([u, v, (u - v).abs(), u * v], dim=1)");
        }
        else
        {
            text.AppendLine($"    features = embed({Inputs(task)})");
        }
        text.AppendLine("    logits = features @ head[\"classifier.weight\"].T + head[\"classifier.bias\"]");
        text.AppendLine("```");
        return text.ToString();
    }

    private static string Inputs(ExportedTask task) => task.ReadsTextPairs ? "[\"first text\"], [\"second text\"]" : "[\"a text\"]";

    private static string PoolingInWords(SentencePooling pooling) => pooling switch
    {
        SentencePooling.Pooler => "BERT's pooler output",
        SentencePooling.ClsToken => "the bare [CLS] state (no pooler)",
        _ => "the mean of the real tokens' final states",
    };
}
