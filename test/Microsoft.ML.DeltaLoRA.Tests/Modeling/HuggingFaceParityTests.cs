using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Checkpoints;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;
using static Microsoft.ML.DeltaLoRA.Tests.Modeling.HuggingFaceFixtures;

using Microsoft.ML.DeltaLoRA.Tests.Modeling.MaskedLM;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling;

/// <summary>
/// Every model class, loaded from model.safetensors, from pytorch_model.bin and (where the fixture has one) from its torch.onnx
/// export model.onnx, against the outputs transformers 4.31 computed for the same checkpoints (float32): hidden states, pooler
/// output and logits within 1e-4, masked-LM logits within 1e-3. The ONNX export is loaded twice: with the fixture's config.json
/// beside it, and alone, with the config derived from its graph.
/// </summary>
public class HuggingFaceParityTests
{
    private const double HiddenTolerance = 1e-4;
    private const double MaskedLMTolerance = 1e-3;

    public static TheoryData<string, string, string, WeightSource> Cases()
    {
        var data = new TheoryData<string, string, string, WeightSource>();
        if (!SharedData.IsAvailable)
        {
            data.Add("bert", "BertModel", "unavailable", WeightSource.Safetensors);
            return data;
        }
        foreach (var family in Families)
            foreach (var suffix in new[] { "Model", "ForSequenceClassification", "ForMaskedLM" })
            {
                var modelClass = ClassName(family, suffix);
                var sources = File.Exists(Path.Combine(ModelFolder(family, modelClass), "model.onnx"))
                    ? Enum.GetValues<WeightSource>()
                    : [WeightSource.Safetensors, WeightSource.PyTorchBin];
                foreach (var caseName in CaseNames(family, modelClass))
                    foreach (var source in sources)
                        data.Add(family, modelClass, caseName, source);
            }
        return data;
    }

    public enum WeightSource { Safetensors, PyTorchBin, OnnxWithConfig, OnnxAlone }

    [SharedTheory]
    [MemberData(nameof(Cases))]
    public void OutputsMatchTransformers(string family, string modelClass, string caseName, WeightSource source)
    {
        using var scope = torch.NewDisposeScope();
        using var onnxFolder = source is WeightSource.OnnxWithConfig or WeightSource.OnnxAlone
            ? OnnxFixtureFolder.Create(ModelFolder(family, modelClass), withConfig: source == WeightSource.OnnxWithConfig)
            : null;
        var folder = onnxFolder?.Path ?? ModelFolder(family, modelClass, source == WeightSource.PyTorchBin);
        var expected = Case(family, modelClass, caseName);
        using var batch = Batch(expected.GetProperty("inputs"));
        var outputs = expected.GetProperty("outputs");
        using var noGrad = torch.no_grad();

        if (modelClass.EndsWith("ForSequenceClassification", StringComparison.Ordinal))
        {
            var numLabels = EncoderConfig.Load(folder).NumLabels;
            using var model = PretrainedModels.LoadSequenceClassifier(folder, numLabels);
            using var result = ((IPretrainedTaskModel)model).Run(batch, outputHiddenStates: true);
            AssertClose(FloatTensor(outputs.GetProperty("logits").GetProperty("float32")), result.Logits, HiddenTolerance, "logits");
            using var plainLogits = model.forward(batch);
            AssertClose(FloatTensor(outputs.GetProperty("logits").GetProperty("float32")), plainLogits, HiddenTolerance, "forward() logits");
            AssertHiddenStates(outputs, result.Encoder);
        }
        else if (modelClass.EndsWith("ForMaskedLM", StringComparison.Ordinal))
        {
            using var model = MaskedLMs.Load(folder);
            using var result = model.Run(batch, outputHiddenStates: true);
            AssertClose(FloatTensor(outputs.GetProperty("logits").GetProperty("float32")), result.Logits, MaskedLMTolerance, "masked-LM logits");
            AssertHiddenStates(outputs, result.Encoder);
        }
        else
        {
            using var model = PretrainedModels.LoadEncoder(folder);
            using var result = model.Encode(batch, outputHiddenStates: true);
            AssertClose(FloatTensor(outputs.GetProperty("last_hidden_state").GetProperty("float32")), result.LastHiddenState, HiddenTolerance, "last_hidden_state");
            if (outputs.TryGetProperty("pooler_output", out var pooler))
            {
                Assert.NotNull(result.PoolerOutput);
                AssertClose(FloatTensor(pooler.GetProperty("float32")), result.PoolerOutput!, HiddenTolerance, "pooler_output");
            }
            else
            {
                Assert.Null(result.PoolerOutput);
            }
            AssertHiddenStates(outputs, result);
            using var plain = model.forward(batch);
            AssertClose(FloatTensor(outputs.GetProperty("last_hidden_state").GetProperty("float32")), plain, HiddenTolerance, "forward() output");
        }
    }

    internal static void AssertHiddenStates(JsonElement outputs, EncoderOutput actual)
    {
        var expected = outputs.GetProperty("hidden_states").GetProperty("float32");
        Assert.Equal(expected.GetArrayLength(), actual.HiddenStates.Count);
        int index = 0;
        foreach (var layer in expected.EnumerateArray())
        {
            AssertClose(FloatTensor(layer), actual.HiddenStates[index], HiddenTolerance, $"hidden_states[{index}]");
            index++;
        }
    }
}
