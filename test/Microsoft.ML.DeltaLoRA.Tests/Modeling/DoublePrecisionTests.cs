using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;
using static Microsoft.ML.DeltaLoRA.Tests.Modeling.HuggingFaceFixtures;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling;

/// <summary>
/// Converting a loaded model with <c>to(float64)</c> goes through TorchSharp's parameter replacement (the path a device
/// move takes): the converted model must still use and expose one set of parameters, and match transformers' float64 outputs.
/// </summary>
public class DoublePrecisionTests
{
    [SharedTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    [InlineData("distilbert")]
    public void ConvertedModelMatchesFloat64Outputs(string family)
    {
        var modelClass = ClassName(family, "ForSequenceClassification");
        var folder = ModelFolder(family, modelClass);
        using var model = PretrainedModels.LoadSequenceClassifier(folder, EncoderConfig.Load(folder).NumLabels);
        var names = model.named_parameters().Select(p => p.name).ToArray();
        model.to(ScalarType.Float64);
        Assert.Equal(names, model.named_parameters().Select(p => p.name).ToArray());
        Assert.All(model.named_parameters(), p => Assert.Equal(ScalarType.Float64, p.parameter.dtype));

        var expected = Case(family, modelClass, "tokenized_texts");
        using var batch = Batch(expected.GetProperty("inputs"));
        using var noGrad = torch.no_grad();
        using var logits = model.forward(batch);
        Assert.Equal(ScalarType.Float64, logits.dtype);
        using var expectedLogits = FloatTensor(expected.GetProperty("outputs").GetProperty("logits").GetProperty("float64"));
        AssertClose(expectedLogits, logits, 1e-5, "float64 logits");
    }

    /// <summary>After a conversion, the parameters a layer computes with are the ones the module exposes (and an optimizer would train).</summary>
    [SharedFact]
    public void ConvertedAdapterParametersAreTheRegisteredOnes()
    {
        var folder = ModelFolder("distilbert", "DistilBertForSequenceClassification");
        using var model = PretrainedModels.LoadSequenceClassifier(folder, numLabels: 2);
        var query = (LoRALinear)model.named_modules().Single(m => m.name == "distilbert.transformer.layer.0.attention.q_lin").module;
        query.AttachAdapter(rank: 2, alpha: 4);
        model.to(ScalarType.Float64);
        var registered = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Same(query.weight, registered["distilbert.transformer.layer.0.attention.q_lin.weight"]);
        Assert.Same(query.bias, registered["distilbert.transformer.layer.0.attention.q_lin.bias"]);
        Assert.Same(query.lora_A, registered["distilbert.transformer.layer.0.attention.q_lin.lora_A"]);
        Assert.Same(query.lora_B, registered["distilbert.transformer.layer.0.attention.q_lin.lora_B"]);
        Assert.Equal(ScalarType.Float64, query.lora_A!.dtype);
        Assert.DoesNotContain(registered.Keys, name => name.Contains('<'));
    }
}
