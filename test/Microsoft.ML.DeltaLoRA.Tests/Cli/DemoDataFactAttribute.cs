using DeltaLoRA.Cli.Data;
using Microsoft.ML.DeltaLoRA.Modeling;

namespace Microsoft.ML.DeltaLoRA.Tests.Cli;

/// <summary>A fact that needs the demo's inputs in the local caches (build/fetch-model.sh, build/fetch-dataset.sh); skipped without them.</summary>
public sealed class DemoDataFactAttribute : FactAttribute
{
    public DemoDataFactAttribute()
    {
        if (!Pretrained.NamedModelSkip.IsFetched(NamedModels.MiniLM.Name) || !Directory.Exists(Path.Combine(DemoDataset.Folder, "package", "data")))
            Skip = $"The main job's model ({NamedModels.MiniLM.ExpectedDirectory}) or the SpamAssassin corpus ({DemoDataset.Folder}) is not in the cache; " +
                   "run build/fetch-model.sh minilm and build/fetch-dataset.sh (./build.sh demo does) to run this test.";
    }
}
