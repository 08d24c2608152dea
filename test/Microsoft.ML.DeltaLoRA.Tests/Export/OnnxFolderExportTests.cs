using System.Text.Json.Nodes;
using Microsoft.ML.DeltaLoRA.Architectures;
using Microsoft.ML.DeltaLoRA.Export;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.DeltaLoRA.Tests.Export;

/// <summary>
/// The ONNX export folder beyond the CLI's classifier (<c>CliOnnxExportTests</c>): a regression model's labels.json and README
/// say it is one, a bi-encoder's README names its second inputs, RoBERTa's tokenizer recipe encodes as ours, and a failed export leaves no folder.
/// </summary>
public class OnnxFolderExportTests
{
    [SharedFact]
    public void A_regression_export_says_so_in_labels_json_and_has_logits_only()
    {
        using var model = TextClassificationModel.LoadPretrained(FixtureFolder("bert"), numLabels: 1);
        using var folder = new TemporaryDirectory();
        var export = folder.File("onnx");

        OnnxFolderExport.Write(model, new ExportedTask(null, readsTextPairs: false, maxSequenceLength: 64), export);

        var labels = JsonNode.Parse(File.ReadAllText(Path.Combine(export, OnnxFolderExport.LabelsFileName)))!.AsObject();
        Assert.Equal("regression", labels["task"]!.GetValue<string>());
        Assert.False(labels.ContainsKey("labels"));
        Assert.Contains("regression", File.ReadAllText(Path.Combine(export, "README.md")));
        using var session = new InferenceSession(Path.Combine(export, OnnxFolderExport.ModelFileName));
        Assert.Equal(["logits"], session.OutputMetadata.Keys);
    }

    [SharedFact]
    public void A_bi_encoder_readme_names_the_second_texts_inputs_as_the_graph_does()
    {
        using var model = TextClassificationModel.LoadPretrained(FixtureFolder("bert"), numLabels: 2, pairEncoding: SentencePairEncoding.BiEncoder);
        using var folder = new TemporaryDirectory();
        var export = folder.File("onnx");

        OnnxFolderExport.Write(model, new ExportedTask(["no", "yes"], readsTextPairs: true, maxSequenceLength: 64), export);

        var readme = File.ReadAllText(Path.Combine(export, "README.md"));
        using var session = new InferenceSession(Path.Combine(export, OnnxFolderExport.ModelFileName));
        Assert.Contains("input_ids_2", session.InputMetadata.Keys);
        Assert.All(session.InputMetadata.Keys, input => Assert.Contains($"`{input}`", readme));
        Assert.All(session.OutputMetadata.Keys, output => Assert.Contains($"`{output}`", readme));
    }

    [SharedFact]
    public void A_roberta_readmes_tokenizer_recipe_encodes_as_our_tokenizer_does()
    {
        using var model = TextClassificationModel.LoadPretrained(FixtureFolder("roberta"), numLabels: 2);
        using var folder = new TemporaryDirectory();
        var export = folder.File("onnx");

        OnnxFolderExport.Write(model, new ExportedTask(["0", "1"], readsTextPairs: false, maxSequenceLength: 64), export);

        var readme = File.ReadAllText(Path.Combine(export, "README.md"));
        Assert.Contains("BpeTokenizer.Create(new BpeOptions(Path.Combine(folder, \"vocab.json\"), Path.Combine(folder, \"merges.txt\")) { ByteLevel = true, PreTokenizer = RobertaPreTokenizer.Instance })", readme);
        var prefixSpace = ((ByteLevelBpeSequenceTokenizer)model.Tokenizer).AddsPrefixSpace;
        Assert.Equal(prefixSpace, readme.Contains("text.StartsWith(' ') ? text : \" \" + text", StringComparison.Ordinal));
        var ours = PretrainedTokenizers.Load(export, ModelFamily.Roberta);
        var recipe = BpeTokenizer.Create(new BpeOptions(Path.Combine(export, "vocab.json"), Path.Combine(export, "merges.txt")) { ByteLevel = true, PreTokenizer = RobertaPreTokenizer.Instance });
        Assert.All(HuggingFaceExportTests.Sst2Sentences(64), s =>
            Assert.Equal(ours.EncodeWithoutSpecialTokens(s), recipe.EncodeToIds(prefixSpace && !s.StartsWith(' ') ? " " + s : s)));
    }

    [SharedFact]
    public void A_model_that_cannot_be_exported_leaves_no_folder()
    {
        using var model = TextClassificationModel.LoadPretrained(FixtureFolder("bert"), numLabels: 2);
        using var folder = new TemporaryDirectory();

        Assert.Throws<ArgumentException>(() => OnnxFolderExport.Write(model, new ExportedTask(["a", "b", "c"], false, 64), folder.File("onnx")));

        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    private static string FixtureFolder(string family)
        => HuggingFaceFixtures.ModelFolder(family, HuggingFaceFixtures.ClassName(family, "ForSequenceClassification"));
}
