using System.Text;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.TextEncoding;

namespace Microsoft.ML.DeltaLoRA.Export;

/// <summary>
/// The README.md of an ONNX export: the graph's inputs and outputs, how a text becomes token ids (so that a user need not read
/// our code), and a C# snippet that scores with Microsoft.ML.Tokenizers and Microsoft.ML.OnnxRuntime.
/// </summary>
internal static class OnnxExportReadme
{
    public static string Text(TextClassificationModel model, ExportedTask task)
    {
        var network = model.Network;
        var biEncoder = network.PairEncoding == SentencePairEncoding.BiEncoder;
        var tokenTypes = model.Tokenizer.UsesTokenTypeIds;
        var specials = model.Tokenizer.Encode(null, null, 2).InputIds; // [start, separator]: what every encoded text begins and ends with
        var (start, separator, pad) = (specials[0], specials[1], model.Tokenizer.PadTokenId);
        var text = new StringBuilder();
        text.AppendLine("# Fine-tuned text classifier as ONNX (exported by Microsoft.ML.DeltaLoRA)").AppendLine();
        text.AppendLine($"`{OnnxFolderExport.ModelFileName}` is the fine-tuned {FamilyName(model.Family)} {(task.IsRegression ? "regression model" : "classifier")} "
            + $"as a standard ONNX graph (opset {OnnxExport.OpsetVersion}); low-rank adapters are merged into its weights. "
            + "Any ONNX runtime scores it; the tokenizer files beside it turn text into its inputs.").AppendLine();

        text.AppendLine("## Inputs").AppendLine();
        text.AppendLine("All int64 tensors of shape [batch, sequence]; both axes are dynamic. A batch is padded to its longest row.").AppendLine();
        text.AppendLine($"- `input_ids`: the token ids (padding: {pad}).");
        text.AppendLine("- `attention_mask`: 1 for a real token, 0 for padding.");
        if (tokenTypes) text.AppendLine("- `token_type_ids`: 0 for the first text's tokens (with `[CLS]` and its `[SEP]`), 1 for the second text's; 0 for padding.");
        if (biEncoder)
            text.AppendLine($"- `input_ids_2`, `attention_mask_2`{(tokenTypes ? ", `token_type_ids_2`" : "")}: the same for the second text of each pair. "
                + "This model is a bi-encoder: each text of a pair is encoded alone, as a single text, and the head reads both sentence vectors; "
                + "its sequence axis is independent of the first text's.");
        text.AppendLine($"- The model was trained and scored with at most **{task.MaxSequenceLength} tokens** per encoded sequence, special tokens included; truncate to that.").AppendLine();

        text.AppendLine("## Outputs").AppendLine();
        if (task.IsRegression)
        {
            text.AppendLine("- `logits` [batch, 1]: the predicted value (`labels.json` says `\"task\": \"regression\"`).").AppendLine();
        }
        else
        {
            text.AppendLine($"- `logits` [batch, {task.OutputCount}]: one score per class.");
            text.AppendLine($"- `probabilities` [batch, {task.OutputCount}]: their softmax.");
            text.AppendLine($"- The class of output index i is `labels[i]` in `{OnnxFolderExport.LabelsFileName}`: {string.Join(", ", task.ClassNames!.Select((name, i) => $"{i} = `{name}`"))}.").AppendLine();
        }

        text.AppendLine("## Tokenization").AppendLine();
        var singleLayout = model.Tokenizer is WordPieceSequenceTokenizer ? "`[CLS] text [SEP]`" : "`<s> text </s>`";
        var pairLayout = model.Tokenizer is WordPieceSequenceTokenizer ? "`[CLS] first [SEP] second [SEP]`" : "`<s> first </s></s> second </s>`";
        if (model.Tokenizer is WordPieceSequenceTokenizer wordPiece)
            text.AppendLine($"WordPiece over `vocab.txt`, {(wordPiece.Tokenizer.LowerCaseBeforeTokenization ? "lowercased (and accents stripped) first" : "cased (no lowercasing)")}, "
                + "after BERT's basic splitting on whitespace and punctuation (`tokenizer_config.json` holds the settings).");
        else
            text.AppendLine($"Byte-level BPE (GPT-2 style) over `vocab.json` and `merges.txt`, cased; {(((ByteLevelBpeSequenceTokenizer)model.Tokenizer).AddsPrefixSpace ? "a space is added before a text that does not start with one" : "no space is added before the text")}.");
        text.AppendLine($"A text is encoded as {singleLayout} (ids {start} and {separator}).");
        if (task.ReadsTextPairs && !biEncoder)
            text.AppendLine($"A pair is read as one sequence, {pairLayout}; when too long, the longer text loses tokens from its end first.");
        text.AppendLine();

        text.AppendLine("## Scoring from C#").AppendLine();
        text.AppendLine("With the NuGet packages Microsoft.ML.Tokenizers and Microsoft.ML.OnnxRuntime, one text at a time (batches pad each row to the longest):").AppendLine();
        text.AppendLine("```csharp");
        text.AppendLine("using System.Text.Json.Nodes;");
        if (model.Tokenizer is WordPieceSequenceTokenizer) text.AppendLine("using System.Text.RegularExpressions;");
        text.AppendLine("using Microsoft.ML.OnnxRuntime;");
        text.AppendLine("using Microsoft.ML.OnnxRuntime.Tensors;");
        text.AppendLine("using Microsoft.ML.Tokenizers;").AppendLine();
        text.AppendLine("var folder = \"path/to/this/folder\";");
        if (model.Tokenizer is WordPieceSequenceTokenizer bert)
        {
            var lowerCase = bert.Tokenizer.LowerCaseBeforeTokenization ? "true" : "false";
            text.AppendLine("// BERT's word split: every ASCII punctuation mark is a word of its own (the default split drops $ = ^ ~ and keeps ` inside words).");
            text.AppendLine($"var wordsAndPunctuation = new Regex(@\"{BertPreTokenization.Pattern}\");");
            text.AppendLine($"var tokenizer = BertTokenizer.Create(Path.Combine(folder, \"vocab.txt\"), new BertOptions {{ LowerCaseBeforeTokenization = {lowerCase}, "
                + $"RemoveNonSpacingMarks = {lowerCase}, PreTokenizer = new RegexPreTokenizer(wordsAndPunctuation, null) }});");
        }
        else
            text.AppendLine("var tokenizer = BpeTokenizer.Create(new BpeOptions(Path.Combine(folder, \"vocab.json\"), Path.Combine(folder, \"merges.txt\")) { ByteLevel = true, PreTokenizer = RobertaPreTokenizer.Instance });");
        text.AppendLine($"using var session = new InferenceSession(Path.Combine(folder, \"{OnnxFolderExport.ModelFileName}\"));");
        if (!task.IsRegression)
            text.AppendLine($"var labels = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, \"{OnnxFolderExport.LabelsFileName}\")))![\"labels\"]!.AsArray().Select(l => (string)l!).ToArray();");
        text.AppendLine().AppendLine("long[] Encode(string text)");
        text.AppendLine("{");
        var prefix = model.Tokenizer is ByteLevelBpeSequenceTokenizer { AddsPrefixSpace: true } ? "text.StartsWith(' ') ? text : \" \" + text" : "text";
        text.AppendLine($"    var tokens = tokenizer.EncodeToIds({prefix}{(model.Tokenizer is WordPieceSequenceTokenizer ? ", addSpecialTokens: false" : "")});");
        text.AppendLine($"    return [{start}, .. tokens.Take({task.MaxSequenceLength - 2}).Select(id => (long)id), {separator}];");
        text.AppendLine("}").AppendLine();
        text.AppendLine("NamedOnnxValue[] Inputs(long[] ids, string suffix) =>");
        text.AppendLine("[");
        text.AppendLine("    NamedOnnxValue.CreateFromTensor(\"input_ids\" + suffix, new DenseTensor<long>(ids, [1, ids.Length])),");
        text.AppendLine("    NamedOnnxValue.CreateFromTensor(\"attention_mask\" + suffix, new DenseTensor<long>(ids.Select(_ => 1L).ToArray(), [1, ids.Length])),");
        if (tokenTypes) text.AppendLine("    NamedOnnxValue.CreateFromTensor(\"token_type_ids\" + suffix, new DenseTensor<long>(new long[ids.Length], [1, ids.Length])),");
        text.AppendLine("];").AppendLine();
        text.AppendLine(biEncoder
            ? "using var results = session.Run([.. Inputs(Encode(\"first text\"), \"\"), .. Inputs(Encode(\"second text\"), \"_2\")]);"
            : "using var results = session.Run(Inputs(Encode(\"a text\"), \"\"));");
        if (task.IsRegression)
        {
            text.AppendLine("var value = results.First(r => r.Name == \"logits\").AsEnumerable<float>().Single();");
        }
        else
        {
            text.AppendLine("var probabilities = results.First(r => r.Name == \"probabilities\").AsEnumerable<float>().ToArray();");
            text.AppendLine("var label = labels[Array.IndexOf(probabilities, probabilities.Max())];");
        }
        text.AppendLine("```");
        if (task.ReadsTextPairs && !biEncoder)
            text.AppendLine().AppendLine($"For a pair, build {pairLayout} from the two texts' tokens{(tokenTypes ? ", with token type 1 from the second text on" : "")}.");
        return text.ToString();
    }

    private static string FamilyName(Architectures.ModelFamily family) => family switch
    {
        Architectures.ModelFamily.Bert => "BERT",
        Architectures.ModelFamily.Roberta => "RoBERTa",
        Architectures.ModelFamily.DistilBert => "DistilBERT",
        _ => family.ToString(),
    };
}
