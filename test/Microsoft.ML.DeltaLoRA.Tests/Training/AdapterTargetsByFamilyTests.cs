using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using Microsoft.ML.DeltaLoRA.Training;

namespace Microsoft.ML.DeltaLoRA.Tests.Training;

/// <summary>
/// Adapters on the key, attention-output and feed-forward layers of each family, by name: the adapted layers must be exactly
/// those whose weights the Hugging Face checkpoint names with the same suffixes (the checkpoint is the independent list).
/// </summary>
public class AdapterTargetsByFamilyTests
{
    public static TheoryData<string, string[]> Targets => new()
    {
        { "bert", ["key", "attention.output.dense", "intermediate.dense"] },
        { "roberta", ["key", "attention.output.dense", "intermediate.dense"] },
        { "distilbert", ["k_lin", "out_lin", "lin1", "lin2"] },
    };

    [SharedTheory]
    [MemberData(nameof(Targets))]
    public void KeyAttentionOutputAndFeedForwardLayersCanCarryAdapters(string family, string[] targets)
    {
        var folder = HuggingFaceFixtures.ModelFolder(family, HuggingFaceFixtures.ClassName(family, "ForSequenceClassification"));
        using var model = PretrainedModels.LoadSequenceClassifier(folder, numLabels: 2);
        using var checkpoint = CheckpointWeights.Read(folder);
        var expected = checkpoint.Keys
            .Where(name => name.EndsWith(".weight", StringComparison.Ordinal))
            .Select(name => name[..^".weight".Length])
            .Where(layer => targets.Any(target => layer.EndsWith("." + target, StringComparison.Ordinal)))
            .Where(layer => !model.HeadParameterPrefixes.Any(prefix => (layer + ".").StartsWith(prefix, StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal)
            .ToArray();

        var adapted = AdapterInjector.Inject(model, new AdapterConfig(Rank: 2, Alpha: 4, RankStabilized: false, TargetModules: targets));

        Assert.NotEmpty(expected);
        Assert.Equal(expected, adapted.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(adapted, name => name.EndsWith("query") || name.EndsWith("q_lin"));
    }
}
