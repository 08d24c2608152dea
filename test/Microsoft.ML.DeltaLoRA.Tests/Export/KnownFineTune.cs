using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Export;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using Microsoft.ML.DeltaLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Tests.Export;

/// <summary>
/// A fixture's ForSequenceClassification model in the state a LoRA or Delta-LoRA fine-tune leaves it, built from known random
/// tensors rather than training: adapters of rank <see cref="Rank"/> on the default targets with A_T, B_T drawn, W moved by
/// Delta-LoRA's telescoped update λ·s·(B_T·A_T − B_K·A_K), and a perturbed head. <see cref="Delta"/> is its
/// <see cref="FineTuneDelta"/> built from those tensors by the formula; <see cref="ReferenceLogits"/> are the live
/// network's outputs (adapters attached, unmerged) on real SST-2 rows, which every round trip must reproduce.
/// </summary>
internal sealed class KnownFineTune : IDisposable
{
    public const int Rank = 4;
    public const double Alpha = 8;
    public const int MaxTokens = 48;

    /// <param name="family">The fixture family: bert, roberta or distilbert.</param>
    /// <param name="updateRatio">λ: 0 for LoRA.</param>
    /// <param name="numLabels">The head's outputs; null: the fixture's own (3).</param>
    public KnownFineTune(string family, double updateRatio, int? numLabels = null)
    {
        Fixture = HuggingFaceFixtures.ModelFolder(family, HuggingFaceFixtures.ClassName(family, "ForSequenceClassification"));
        var config = EncoderConfig.Load(Fixture);
        torch.random.manual_seed(20261206);
        Model = TextClassificationModel.LoadPretrained(Fixture, numLabels ?? config.NumLabels, pooling: PeftAdapterImport.TransformersPooling(config.Family));
        var network = Model.Network;
        AdapterInjector.Inject(network, new AdapterConfig(Rank, Alpha, RankStabilized: false, TargetModules: null));

        var weights = new List<LowRankWeightDelta>();
        using (torch.no_grad())
        {
            foreach (var (name, layer) in AdapterInjector.AdaptedLayers(network))
            {
                using var scope = torch.NewDisposeScope();
                var s = layer.Scaling;
                using var sScalar = s.ToScalar();
                using var spread = 0.1.ToScalar();
                layer.lora_A!.copy_(torch.randn(layer.lora_A.shape).mul_(spread));
                layer.lora_B!.copy_(torch.randn(layer.lora_B.shape).mul_(spread));
                Tensor left, right;
                if (updateRatio == 0)
                {
                    left = layer.lora_B.mul(sScalar);
                    right = layer.lora_A.clone();
                }
                else
                {
                    var bK = torch.randn(layer.lora_B.shape).mul_(spread);
                    var aK = torch.randn(layer.lora_A.shape).mul_(spread);
                    using var moved = (updateRatio * s).ToScalar();
                    using var kept = ((1 + updateRatio) * s).ToScalar();
                    using var removed = (-updateRatio * s).ToScalar();
                    layer.weight.add_(layer.lora_B.matmul(layer.lora_A).sub_(bK.matmul(aK)).mul_(moved));
                    left = torch.cat([layer.lora_B.mul(kept), bK.mul(removed)], dim: 1);
                    right = torch.cat([layer.lora_A, aK], dim: 0);
                }
                weights.Add(new LowRankWeightDelta(name + ".weight", (int)layer.OutFeatures, (int)layer.InFeatures, (int)left.shape[1],
                    left.contiguous().data<float>().ToArray(), right.contiguous().data<float>().ToArray()));
            }

            var head = new Dictionary<string, TrainedTensor>(StringComparer.Ordinal);
            foreach (var (name, parameter) in network.named_parameters())
            {
                if (!network.HeadParameterPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal))) continue;
                using var noise = torch.randn(parameter.shape);
                using var spread = 0.2.ToScalar();
                parameter.add_(noise, alpha: spread);
                head[name] = new TrainedTensor(parameter.shape, parameter.contiguous().data<float>().ToArray());
            }
            Delta = new FineTuneDelta(weights, head, Rank, Alpha, updateRatio);
        }
        Sentences = HuggingFaceExportTests.Sst2Sentences(32);
        ReferenceLogits = Logits(Model);
    }

    public string Fixture { get; }
    public TextClassificationModel Model { get; }
    public FineTuneDelta Delta { get; }
    public string[] Sentences { get; }
    public float[] ReferenceLogits { get; }

    public float[] Logits(TextClassificationModel model) => model.PredictRaw(Sentences, null, MaxTokens, batchSize: 8);

    public void Dispose() => Model.Dispose();
}

/// <summary>A fine-tune written as a PEFT adapter into a fresh temporary folder.</summary>
internal sealed class ExportedAdapter : IDisposable
{
    private readonly TemporaryDirectory _temporary = new();

    public ExportedAdapter(KnownFineTune fineTune, string? baseReference = null)
    {
        Folder = _temporary.File("adapter");
        PeftAdapterExport.Write(fineTune.Delta, fineTune.Model.Network, baseReference ?? fineTune.Fixture, Folder);
    }

    public string Folder { get; }
    public string WeightsFile => Path.Combine(Folder, PeftNames.WeightsFileName);
    public string ConfigFile => Path.Combine(Folder, PeftAdapterConfig.FileName);
    public string Sibling(string name) => _temporary.File(name);

    public void Dispose() => _temporary.Dispose();
}
