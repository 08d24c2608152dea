using System.Text.Json.Nodes;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using static Microsoft.ML.DeltaLoRA.Tests.Modeling.HuggingFaceFixtures;
using Microsoft.ML.DeltaLoRA.Architectures;

using Microsoft.ML.DeltaLoRA.Tests.Modeling.MaskedLM;

namespace Microsoft.ML.DeltaLoRA.Tests.Checkpoints;

public class EncoderConfigTests
{
    [SharedFact]
    public void ReadsBertKeys()
    {
        var config = EncoderConfig.Load(ModelFolder("bert", "BertForSequenceClassification"));
        Assert.Equal(ModelFamily.Bert, config.Family);
        Assert.Equal((98, 32, 3, 4, 37, 64, 2, 0), (config.VocabSize, config.HiddenSize, config.NumLayers, config.NumAttentionHeads,
            config.IntermediateSize, config.MaxPositionEmbeddings, config.TypeVocabSize, config.PadTokenId));
        Assert.Equal(1e-12, config.LayerNormEps);
        Assert.Equal((0.1, 0.1), (config.HiddenDropout, config.AttentionDropout));
        Assert.Null(config.ClassifierDropout);
        Assert.Equal(0.1, config.EffectiveClassifierDropout);
        Assert.Equal(0.02, config.InitializerRange);
        Assert.Equal(3, config.NumLabels);
        Assert.Equal("LABEL_2", config.Id2Label[2]);
        Assert.Equal(new[] { "LABEL_0", "LABEL_1", "LABEL_2" }, config.Id2Label.OrderBy(pair => pair.Key).Select(pair => pair.Value));
        Assert.Equal("gelu", config.HiddenAct);
    }

    [SharedFact]
    public void ReadsRobertaKeys()
    {
        var config = EncoderConfig.Load(ModelFolder("roberta", "RobertaModel"));
        Assert.Equal(ModelFamily.Roberta, config.Family);
        Assert.Equal((338, 66, 1, 1), (config.VocabSize, config.MaxPositionEmbeddings, config.TypeVocabSize, config.PadTokenId));
        Assert.Equal(1e-5, config.LayerNormEps);
    }

    [SharedFact]
    public void ReadsDistilBertKeys()
    {
        var config = EncoderConfig.Load(ModelFolder("distilbert", "DistilBertForSequenceClassification"));
        Assert.Equal(ModelFamily.DistilBert, config.Family);
        Assert.Equal((32, 3, 4, 37, 0), (config.HiddenSize, config.NumLayers, config.NumAttentionHeads, config.IntermediateSize, config.TypeVocabSize));
        Assert.Equal(1e-12, config.LayerNormEps);
        Assert.Equal(0.2, config.EffectiveClassifierDropout);
        Assert.Equal((0.1, 0.1), (config.HiddenDropout, config.AttentionDropout));
        Assert.Equal(2, config.NumLabels);
    }

    [SharedTheory]
    [InlineData("bert", "BertForSequenceClassification")]
    [InlineData("roberta", "RobertaForMaskedLM")]
    [InlineData("distilbert", "DistilBertForSequenceClassification")]
    public void JsonRoundTripKeepsEveryProperty(string family, string modelClass)
    {
        var original = EncoderConfig.Load(ModelFolder(family, modelClass)).WithDropout(0.05);
        var json = original.ToJson();
        var copy = EncoderConfig.Parse(json);
        Assert.Equal(original with { Id2Label = copy.Id2Label }, copy);
        Assert.Equal(original.Id2Label.OrderBy(p => p.Key), copy.Id2Label.OrderBy(p => p.Key));
        // The written file uses the family's own Hugging Face keys.
        var keys = JsonNode.Parse(json)!.AsObject().Select(p => p.Key).ToHashSet();
        Assert.Contains(family == "distilbert" ? "n_layers" : "num_hidden_layers", keys);
        Assert.Contains(family == "distilbert" ? "dim" : "hidden_size", keys);
    }

    [Fact]
    public void WithNumLabelsRenamesLabelsOnlyWhenTheCountChanges()
    {
        var config = EncoderConfig.Parse("""{"model_type":"bert","vocab_size":10,"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":6,"id2label":{"0":"neg","1":"pos"}}""");
        Assert.Same(config, config.WithNumLabels(2));
        var three = config.WithNumLabels(3);
        Assert.Equal(3, three.NumLabels);
        Assert.Equal("LABEL_2", three.Id2Label[2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => config.WithNumLabels(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => config.WithDropout(1.0));
    }

    [SharedFact]
    public void UnsupportedModelTypeNamesTheFileAndTheValue()
    {
        using var temp = new TempFolder();
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(ModelFolder("bert", "BertModel"), "config.json")))!;
        node["model_type"] = "gpt2";
        File.WriteAllText(temp.File("config.json"), node.ToJsonString());
        var error = Assert.Throws<InvalidDataException>(() => EncoderConfig.Load(temp.Path));
        Assert.Contains(temp.File("config.json"), error.Message);
        Assert.Contains("'gpt2'", error.Message);
    }

    [Fact]
    public void OtherConfigProblemsNameTheKey()
    {
        const string valid = """{"model_type":"bert","vocab_size":10,"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":6}""";
        Assert.Equal(8, EncoderConfig.Parse(valid).HiddenSize);
        var missing = Assert.Throws<InvalidDataException>(() => EncoderConfig.Parse(valid.Replace("\"hidden_size\":8,", ""), "x/config.json"));
        Assert.Contains("'hidden_size'", missing.Message);
        Assert.Contains("x/config.json", missing.Message);
        var activation = Assert.Throws<InvalidDataException>(() => EncoderConfig.Parse(valid.Replace("{", """{"hidden_act":"gelu_new",""")));
        Assert.Contains("gelu_new", activation.Message);
        var heads = Assert.Throws<InvalidDataException>(() => EncoderConfig.Parse(valid.Replace("\"num_attention_heads\":2", "\"num_attention_heads\":3")));
        Assert.Contains("multiple", heads.Message);
        var noType = Assert.Throws<InvalidDataException>(() => EncoderConfig.Parse(valid.Replace("\"model_type\":\"bert\",", "")));
        Assert.Contains("model_type", noType.Message);
        Assert.Contains("add the key \"model_type\" with \"bert\", \"roberta\" or \"distilbert\"", noType.Message);
        Assert.Equal(ModelFamily.Bert, EncoderConfig.Parse(valid.Replace("\"model_type\":\"bert\",", ""), familyWhenUnstated: ModelFamily.Bert).Family);
        Assert.Throws<InvalidDataException>(() => EncoderConfig.Parse("{not json"));
    }

    [Fact]
    public void MissingConfigFileIsNamed()
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<FileNotFoundException>(() => EncoderConfig.Load(temp.Path));
        Assert.Contains(temp.File("config.json"), error.Message);
    }
}
