using Microsoft.ML.DeltaLoRA.Tests.Export;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Cli;

/// <summary><c>deltalora import-peft</c>: a PEFT adapter folder becomes a model zip that predict and evaluate read.</summary>
public class CliImportPeftTests
{
    [SharedFact]
    public void An_imported_adapter_zip_predicts_with_the_given_class_names()
    {
        using var fineTune = new KnownFineTune("roberta", 0.5);
        using var adapter = new ExportedAdapter(fineTune);
        var zip = adapter.Sibling("m.zip");
        var import = CliRun.Of("import-peft", "--adapter", adapter.Folder, "--labels", "red,green,blue", "--out", zip).Succeeded();
        Assert.Equal(zip, import.OutputLines[^1]);
        var predict = CliRun.Of("predict", "--model", zip, "a gorgeous, witty movie", "a dull mess").Succeeded();
        Assert.All(predict.OutputLines.TakeLast(2), line => Assert.Contains(line.Split('\t')[0], new[] { "red", "green", "blue" }));
    }

    [SharedFact]
    public void A_folder_without_an_adapter_config_is_a_user_error_and_writes_nothing()
    {
        using var folder = new TemporaryDirectory();
        var zip = folder.File("m.zip");
        CliRun.Of("import-peft", "--adapter", folder.Path, "--out", zip).FailedWith("not a PEFT adapter folder", "adapter_config.json");
        Assert.False(File.Exists(zip));
    }
}
