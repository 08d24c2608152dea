using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Cli;

/// <summary>
/// One <c>train</c> run shared by the CLI tests: SST-2 (256 rows) on the tiny RoBERTa fixture, 1 epoch, tested on the
/// 128-row SST-2 evaluation subset, with --json. Runs only when ../shared is there (the tests using it are SharedFacts).
/// </summary>
public sealed class CliTrainingFixture : IDisposable
{
    private readonly TemporaryDirectory _folder = new();
    private readonly Lazy<CliRun> _train;

    public CliTrainingFixture()
    {
        _train = new Lazy<CliRun>(() => CliRun.Of(
            "train", "--dataset", Sst2Train, "--test-dataset", Sst2Eval, "--model", RobertaFolder,
            "--epochs", "1", "--json", "--out", ModelPath));
    }

    public static string Sst2Train => SharedData.PathOf("data", "small", "sst2_train_256.tsv");
    public static string Sst2Eval => SharedData.PathOf("data", "small", "sst2_eval_128.tsv");
    public static string RobertaFolder => SharedData.PathOf("fixtures", "hf", "roberta", "RobertaForSequenceClassification");

    public string Folder => _folder.Path;
    public string ModelPath => _folder.File("m.zip");

    /// <summary>The train run (made on first use), checked to have succeeded.</summary>
    public CliRun Train => _train.Value.Succeeded();

    public void Dispose() => _folder.Dispose();
}
