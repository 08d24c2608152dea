using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using TorchSharp;
using static TorchSharp.torch;
using static Microsoft.ML.DeltaLoRA.Tests.Modeling.HuggingFaceFixtures;

using Microsoft.ML.DeltaLoRA.Tests.Modeling.MaskedLM;

namespace Microsoft.ML.DeltaLoRA.Tests.Checkpoints;

public class CheckpointNamingTests
{
    /// <summary>
    /// Older checkpoints name LayerNorm parameters gamma/beta (TF era) and store the int64 <c>embeddings.position_ids</c> buffer;
    /// both load like the modern names, and the buffer is ignored.
    /// </summary>
    [SharedTheory]
    [InlineData("bert", "BertForSequenceClassification")]
    [InlineData("roberta", "RobertaModel")]
    public void GammaBetaNamesAndPositionIdsBufferLoad(string family, string modelClass)
    {
        var source = ModelFolder(family, modelClass);
        using var temp = new TempFolder();
        CopyConfig(source, temp.Path);
        var prefix = modelClass.EndsWith("Model") ? "" : family + ".";
        using (var original = SafetensorsReader.Read(Path.Combine(source, "model.safetensors")))
        using (var positions = 64.ToScalar())
        using (var positionIds = torch.arange(positions, dtype: ScalarType.Int64).unsqueeze(0))
        using (var file = File.Create(temp.File("model.safetensors")))
        {
            var renamed = original.ToDictionary(
                p => p.Key.Replace("LayerNorm.weight", "LayerNorm.gamma").Replace("LayerNorm.bias", "LayerNorm.beta"),
                p => p.Value);
            Assert.Contains(renamed.Keys, name => name.EndsWith("LayerNorm.gamma"));
            renamed[prefix + "embeddings.position_ids"] = positionIds;
            SafetensorsWriter.Write(file, renamed);
        }

        using var model = ModelStructureTests.Load(temp.Path, modelClass);
        var expected = Case(family, modelClass, "tokenized_texts");
        using var batch = Batch(expected.GetProperty("inputs"));
        using var noGrad = torch.no_grad();
        using var output = model is IPretrainedTaskModel task ? task.Run(batch, outputHiddenStates: true).Encoder : ((PretrainedEncoder)model).Encode(batch, true);
        HuggingFaceParityTests.AssertHiddenStates(expected.GetProperty("outputs"), output);
    }

    [SharedFact]
    public void LoadReportNamesFreshAndUnusedTensors()
    {
        var folder = ModelFolder("bert", "BertForMaskedLM");
        var config = EncoderConfig.Load(folder);
        using var weights = CheckpointWeights.Read(folder);
        using var model = PretrainedModels.CreateSequenceClassifier(config, numLabels: 2);
        var report = HuggingFaceWeightLoader.Load(model, config, weights, model.HeadParameterPrefixes);
        Assert.Equal(new[] { "bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias" }.Order(), report.LeftAsInitialized.Order());
        Assert.Contains("cls.predictions.bias", report.Unused);
        Assert.DoesNotContain(report.Copied, name => name.StartsWith("classifier."));
        Assert.Contains("bert.encoder.layer.2.attention.self.value.weight", report.Copied);
    }
}
