using DeltaLoRA.Cli;
using DeltaLoRA.Cli.Data;
using DeltaLoRA.Cli.Training;
using Microsoft.ML.DeltaLoRA.Tests.Cli;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Fuzzing;

/// <summary>
/// The CLI's data reading (what <c>train --dataset</c> does before training: inspect the file, find its columns, load its rows,
/// require enough of them) on mutated copies of real SST-2 rows and on random bytes: each reads the file or stops with a
/// <see cref="UserErrorException"/> (one line for the user), in bounded time and memory (<see cref="FuzzCase"/>).
/// </summary>
public class DataFileFuzzTests
{
    /// <summary>The header and the first <paramref name="count"/> rows of the SST-2 sample, as a file's bytes.</summary>
    private static byte[] Sst2Rows(int count)
        => System.Text.Encoding.UTF8.GetBytes(string.Join('\n', File.ReadLines(CliTrainingFixture.Sst2Train).Take(count + 1)) + "\n");

    [SharedFact]
    public void Tsv_data_file() => CheckDataFile("data.tsv", Sst2Rows(60));

    [SharedFact]
    public void Csv_data_file_with_quoted_fields()
    {
        var lines = System.Text.Encoding.UTF8.GetString(Sst2Rows(60)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(line => line.Split('\t')).Select(f => $"\"{f[0].Replace("\"", "\"\"", StringComparison.Ordinal)}\",{f[1]}");
        CheckDataFile("data.csv", System.Text.Encoding.UTF8.GetBytes(string.Join('\n', ["sentence,label", .. lines]) + "\n"));
    }

    [Fact]
    public void Random_bytes_as_a_csv_file()
    {
        using var folder = new TemporaryDirectory();
        var path = folder.File("random.csv");
        FuzzCase.CheckRandom("data.csv", bytes => Read(path, bytes), e => e is UserErrorException);
    }

    private static void CheckDataFile(string name, byte[] original)
    {
        using var folder = new TemporaryDirectory();
        var path = folder.File(name);
        FuzzCase.Check(name, original, bytes => Read(path, bytes), e => e is UserErrorException);
    }

    private static void Read(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        var file = TabularFile.Inspect(path, "--dataset", hasHeader: true, separator: null);
        var columns = ColumnResolver.ForTraining(file, new ColumnChoice(null, null, null));
        var rows = TabularData.Load(new MLContext(seed: 1), file, columns, TaskKind.Classification);
        TabularData.RequireRows(rows, file, "--dataset", columns, TaskKind.Classification);
    }
}
