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

    /// <summary>Every model class converts to float64 (encoders and masked LMs included) and matches transformers' float64 run.</summary>
    [SharedTheory]
    [MemberData(nameof(ModelStructureTests.ModelClasses), MemberType = typeof(ModelStructureTests))]
    public void EveryModelClassConvertsToFloat64(string family, string modelClass)
    {
        using var model = ModelStructureTests.Load(ModelFolder(family, modelClass), modelClass);
        model.to(ScalarType.Float64);
        var expected = Case(family, modelClass, "raw_ids_with_" + (family == "bert" ? "token_types_and_padding" : "padding"));
        using var batch = Batch(expected.GetProperty("inputs"));
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var encoderOutput = model is IPretrainedTaskModel task ? task.Run(batch, outputHiddenStates: true).Encoder : ((PretrainedEncoder)model).Encode(batch, true);
        var hidden = expected.GetProperty("outputs").GetProperty("hidden_states").GetProperty("float64");
        var last = hidden[hidden.GetArrayLength() - 1];
        Assert.Equal(ScalarType.Float64, encoderOutput.LastHiddenState.dtype);
        AssertClose(FloatTensor(last), encoderOutput.LastHiddenState, 1e-5, "float64 last hidden state");
    }

    /// <summary>Gradients flow through the encoder as autograd computes them: a finite difference on one weight agrees.</summary>
    [SharedTheory]
    [InlineData("bert", "encoder.layer.0.attention.self.query.weight")]
    [InlineData("distilbert", "transformer.layer.0.attention.v_lin.weight")]
    public void GradientsMatchFiniteDifferences(string family, string weightName)
    {
        var modelClass = ClassName(family, "ForSequenceClassification");
        var folder = ModelFolder(family, modelClass);
        using var model = PretrainedModels.LoadSequenceClassifier(folder, EncoderConfig.Load(folder).NumLabels);
        model.to(ScalarType.Float64);
        var name = family + "." + weightName;
        var weight = model.named_parameters().Single(p => p.name == name).parameter;
        var expected = Case(family, modelClass, "tokenized_texts");
        using var batch = Batch(expected.GetProperty("inputs"));
        using var probe = torch.linspace(-1, 1, EncoderConfig.Load(folder).NumLabels, dtype: ScalarType.Float64);
        double Loss()
        {
            using var logits = model.forward(batch);
            using var loss = (logits * probe).sum();
            return loss.item<double>();
        }

        using (var logits = model.forward(batch))
        using (var loss = (logits * probe).sum())
            loss.backward();
        using var gradient = weight.grad!;
        var analytic = gradient[1, 2].item<double>();
        const double step = 1e-6;
        double plus, minus;
        using (torch.no_grad())
        {
            using var element = weight[1, 2];
            using var stepScalar = step.ToScalar();
            using var twoSteps = (2 * step).ToScalar();
            element.add_(stepScalar);
            plus = Loss();
            element.sub_(twoSteps);
            minus = Loss();
            element.add_(stepScalar);
        }
        var numeric = (plus - minus) / (2 * step);
        Assert.True(Math.Abs(analytic) > 1e-6, $"gradient {analytic} is too small to compare");
        Assert.True(Math.Abs(analytic - numeric) <= 1e-5 * Math.Max(1, Math.Abs(numeric)), $"autograd {analytic}, finite difference {numeric}");
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
