using Microsoft.ML.DeltaLoRA.Tests.Export;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;

namespace Microsoft.ML.DeltaLoRA.Tests.Cli;

/// <summary>
/// <c>deltalora train --model</c> with a PEFT LoRA adapter folder: the fine-tune continues from its base with the adapter
/// merged and its head; an adapter whose head does not fit the data is a user error naming both counts.
/// </summary>
public class CliPeftModelTests
{
    [SharedFact]
    public void Train_continues_from_a_PEFT_adapter_folder()
    {
        using var fineTune = new KnownFineTune("roberta", 0.5, numLabels: 2);
        using var adapter = new ExportedAdapter(fineTune);
        var zip = adapter.Sibling("continued.zip");
        CliRun.Of("train", "--dataset", CliTrainingFixture.Sst2Train, "--model", adapter.Folder, "--method", "lora", "--epochs", "1", "--out", zip).Succeeded();
        Assert.True(File.Exists(zip));
        var predict = CliRun.Of("predict", "--model", zip, "a gorgeous, witty movie").Succeeded();
        Assert.NotEmpty(predict.OutputLines);
    }

    [SharedFact]
    public void An_adapter_whose_head_does_not_fit_the_data_is_a_user_error()
    {
        using var fineTune = new KnownFineTune("roberta", 0.0); // the fixture's 3 labels; SST-2 has 2
        using var adapter = new ExportedAdapter(fineTune);
        CliRun.Of("train", "--dataset", CliTrainingFixture.Sst2Train, "--model", adapter.Folder, "--epochs", "1", "--out", adapter.Sibling("m.zip"))
            .FailedWith("head of 3 outputs", "2 are needed", adapter.Folder);
        Assert.False(File.Exists(adapter.Sibling("m.zip")));
    }
}
