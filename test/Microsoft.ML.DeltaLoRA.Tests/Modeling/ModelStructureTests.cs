using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;
using static Microsoft.ML.DeltaLoRA.Tests.Modeling.HuggingFaceFixtures;

using Microsoft.ML.DeltaLoRA.Tests.Modeling.MaskedLM;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling;

public class ModelStructureTests
{
    public static TheoryData<string, string> ModelClasses()
    {
        var data = new TheoryData<string, string>();
        foreach (var family in Families)
            foreach (var suffix in new[] { "Model", "ForSequenceClassification", "ForMaskedLM" })
                data.Add(family, ClassName(family, suffix));
        return data;
    }

    /// <summary>Our parameter names are transformers' state-dict names: the safetensors file written by transformers has exactly them.</summary>
    [SharedTheory]
    [MemberData(nameof(ModelClasses))]
    public void ParameterNamesEqualTheCheckpointNames(string family, string modelClass)
    {
        var folder = ModelFolder(family, modelClass);
        using var model = Load(folder, modelClass);
        using var checkpoint = SafetensorsReader.Read(Path.Combine(folder, "model.safetensors"));
        var ours = model.named_parameters().Select(p => p.name).Order(StringComparer.Ordinal).ToArray();
        var theirs = checkpoint.Keys.Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(theirs, ours);
        Assert.Empty(model.named_buffers());
    }

    [SharedTheory]
    [MemberData(nameof(ModelClasses))]
    public void EveryLinearLayerIsALoRALinear(string family, string modelClass)
    {
        using var model = Load(ModelFolder(family, modelClass), modelClass);
        var modules = model.named_modules().ToArray();
        Assert.DoesNotContain(modules, m => m.module is TorchSharp.Modules.Linear);
        var loraNames = modules.Where(m => m.module is LoRALinear).Select(m => m.name).ToHashSet();
        var weightOwners = model.named_parameters().Select(p => p.name)
            .Where(name => name.EndsWith(".weight", StringComparison.Ordinal) && !name.Contains("embeddings") && !name.Contains("LayerNorm") && !name.Contains("layer_norm"))
            .Select(name => name[..^".weight".Length]);
        Assert.All(weightOwners, owner => Assert.Contains(owner, loraNames));
        var perLayer = family == "distilbert"
            ? new[] { "attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin", "ffn.lin1", "ffn.lin2" }
            : new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense" };
        var layerPrefix = family == "distilbert" ? "transformer.layer.2." : "encoder.layer.2.";
        foreach (var name in perLayer) Assert.Contains(loraNames, n => n.EndsWith(layerPrefix + name, StringComparison.Ordinal));
    }

    [SharedTheory]
    [InlineData("bert", new[] { "bert.pooler.", "classifier." }, new[] { "query", "value" })]
    [InlineData("roberta", new[] { "classifier." }, new[] { "query", "value" })]
    [InlineData("distilbert", new[] { "pre_classifier.", "classifier." }, new[] { "q_lin", "v_lin" })]
    public void ClassifiersNameTheirHeadsAndAdapterTargets(string family, string[] heads, string[] targets)
    {
        var folder = ModelFolder(family, ClassName(family, "ForSequenceClassification"));
        using var model = PretrainedModels.LoadSequenceClassifier(folder, numLabels: 2);
        Assert.Equal(heads, model.HeadParameterPrefixes);
        Assert.Equal(targets, model.DefaultAdapterTargets);
        Assert.Equal(2, model.NumLabels);
        var headParameters = model.named_parameters().Where(p => heads.Any(h => p.name.StartsWith(h, StringComparison.Ordinal))).ToArray();
        Assert.NotEmpty(headParameters);
        var targetLayers = model.named_modules().Where(m => m.module is LoRALinear && targets.Contains(m.name.Split('.')[^1])).ToArray();
        Assert.Equal(3 * targets.Length, targetLayers.Length);
    }

    /// <summary>Dropout acts in training mode only, and an override of 0 switches it off in training too.</summary>
    [SharedTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    [InlineData("distilbert")]
    public void DropoutActsOnlyInTrainingAndCanBeOverridden(string family)
    {
        var folder = ModelFolder(family, ClassName(family, "ForSequenceClassification"));
        var expected = Case(family, ClassName(family, "ForSequenceClassification"), "tokenized_texts");
        using var scope = torch.NewDisposeScope();
        using var batch = Batch(expected.GetProperty("inputs"));
        using var noGrad = torch.no_grad();

        using var model = PretrainedModels.LoadSequenceClassifier(folder, EncoderConfig.Load(folder).NumLabels);
        var evaluation = model.forward(batch);
        model.train();
        torch.manual_seed(7);
        var training = model.forward(batch);
        Assert.False(torch.allclose(evaluation, training, rtol: 0, atol: 1e-4), "training-mode dropout should change the logits");
        model.eval();
        AssertClose(evaluation, model.forward(batch), 0, "eval mode is deterministic");

        using var withoutDropout = PretrainedModels.LoadSequenceClassifier(folder, EncoderConfig.Load(folder).NumLabels, dropoutOverride: 0);
        withoutDropout.train();
        AssertClose(evaluation, withoutDropout.forward(batch), 1e-6, "training mode with dropout 0");
    }

    /// <summary>
    /// A head the checkpoint lacks, or holds for another label count, gets transformers' fresh initialisation
    /// (normal(0, initializer_range) weight, zero bias) while everything else is loaded.
    /// </summary>
    [SharedFact]
    public void MissingOrResizedHeadsAreCreatedFresh()
    {
        var classifierFolder = ModelFolder("bert", "BertForSequenceClassification");
        using var checkpoint = SafetensorsReader.Read(Path.Combine(classifierFolder, "model.safetensors"));
        torch.manual_seed(3);
        using var resized = PretrainedModels.LoadSequenceClassifier(classifierFolder, numLabels: 5);
        var parameters = resized.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(new long[] { 5, 32 }, parameters["classifier.weight"].shape);
        Assert.Equal(0f, parameters["classifier.bias"].abs().max().item<float>());
        var std = parameters["classifier.weight"].std().item<float>();
        Assert.InRange(std, 0.014f, 0.026f);
        AssertClose(checkpoint["bert.pooler.dense.weight"], parameters["bert.pooler.dense.weight"], 0, "pooler weight");
        AssertClose(checkpoint["bert.encoder.layer.1.output.dense.weight"], parameters["bert.encoder.layer.1.output.dense.weight"], 0, "layer 1 output weight");

        // From a masked-LM checkpoint: no pooler, no classifier; the encoder still matches transformers.
        var mlmFolder = ModelFolder("bert", "BertForMaskedLM");
        using var fromMaskedLM = PretrainedModels.LoadSequenceClassifier(mlmFolder, numLabels: 2);
        var fresh = fromMaskedLM.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(0f, fresh["bert.pooler.dense.bias"].abs().max().item<float>());
        Assert.InRange(fresh["bert.pooler.dense.weight"].std().item<float>(), 0.016f, 0.024f);
        var expected = Case("bert", "BertForMaskedLM", "tokenized_texts");
        using var batch = Batch(expected.GetProperty("inputs"));
        using var output = ((IPretrainedTaskModel)fromMaskedLM).Run(batch, outputHiddenStates: true);
        HuggingFaceParityTests.AssertHiddenStates(expected.GetProperty("outputs"), output.Encoder);
    }

    /// <summary>A classifier loads from a bare-encoder checkpoint, whose names have no family prefix.</summary>
    [SharedTheory]
    [InlineData("bert")]
    [InlineData("roberta")]
    [InlineData("distilbert")]
    public void ClassifierLoadsFromBareEncoderCheckpoint(string family)
    {
        var folder = ModelFolder(family, ClassName(family, "Model"));
        using var model = PretrainedModels.LoadSequenceClassifier(folder, numLabels: 4);
        var expected = Case(family, ClassName(family, "Model"), "tokenized_texts");
        using var batch = Batch(expected.GetProperty("inputs"));
        using var output = ((IPretrainedTaskModel)model).Run(batch, outputHiddenStates: true);
        HuggingFaceParityTests.AssertHiddenStates(expected.GetProperty("outputs"), output.Encoder);
        Assert.Equal(new long[] { batch.BatchSize, 4 }, output.Logits.shape);
    }

    [SharedFact]
    public void ExportedTensorsReloadIntoAFreshModel()
    {
        var folder = ModelFolder("roberta", "RobertaForSequenceClassification");
        var config = EncoderConfig.Load(folder);
        using var loaded = PretrainedModels.LoadSequenceClassifier(folder, config.NumLabels);
        using var stream = new MemoryStream();
        SafetensorsWriter.Write(stream, ModuleTensors.Export(loaded));
        stream.Position = 0;
        using var saved = SafetensorsReader.Read(stream, "in-memory model");

        using var fresh = PretrainedModels.CreateSequenceClassifier(config, config.NumLabels);
        var report = ModuleTensors.CopyFrom(fresh, saved, "in-memory model");
        Assert.Empty(report.LeftAsInitialized);
        Assert.Empty(report.Unused);
        fresh.eval();
        var expected = Case("roberta", "RobertaForSequenceClassification", "raw_ids_with_padding");
        using var batch = Batch(expected.GetProperty("inputs"));
        using var noGrad = torch.no_grad();
        using var logits = fresh.forward(batch);
        AssertClose(FloatTensor(expected.GetProperty("outputs").GetProperty("logits").GetProperty("float32")), logits, 1e-4, "logits");
    }

    [SharedFact]
    public void CopyFromChecksShapesBeforeChangingAnything()
    {
        var folder = ModelFolder("distilbert", "DistilBertModel");
        using var model = PretrainedModels.LoadEncoder(folder);
        var tensors = ModuleTensors.Export(model).ToDictionary(p => p.Key, p => p.Value.detach().clone());
        using var before = tensors["embeddings.word_embeddings.weight"].clone();
        tensors["embeddings.word_embeddings.weight"].zero_();
        tensors["transformer.layer.2.ffn.lin1.weight"] = torch.zeros(36, 32);
        var error = Assert.Throws<InvalidDataException>(() => ModuleTensors.CopyFrom(model, tensors, "edited.safetensors"));
        Assert.Contains("transformer.layer.2.ffn.lin1.weight", error.Message);
        Assert.Contains("[36, 32]", error.Message);
        Assert.Contains("[37, 32]", error.Message);
        AssertClose(before, ModuleTensors.Export(model)["embeddings.word_embeddings.weight"], 0, "word embeddings after a failed copy");

        tensors.Remove("transformer.layer.0.attention.q_lin.bias");
        tensors["transformer.layer.2.ffn.lin1.weight"] = torch.zeros(37, 32);
        var missing = Assert.Throws<InvalidDataException>(() => ModuleTensors.CopyFrom(model, tensors, "edited.safetensors"));
        Assert.Contains("transformer.layer.0.attention.q_lin.bias", missing.Message);
        foreach (var tensor in tensors.Values) tensor.Dispose();
    }

    internal static torch.nn.Module Load(string folder, string modelClass)
    {
        if (modelClass.EndsWith("ForSequenceClassification", StringComparison.Ordinal))
            return PretrainedModels.LoadSequenceClassifier(folder, EncoderConfig.Load(folder).NumLabels);
        if (modelClass.EndsWith("ForMaskedLM", StringComparison.Ordinal))
            return MaskedLMs.Load(folder);
        return PretrainedModels.LoadEncoder(folder);
    }
}
