using DeltaLoRA.Cli.Output;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Cli;

/// <summary>
/// The loss curve's CSV and PNG are written to a temporary file beside them and moved into place, as the model zip is: a
/// write that fails part-way leaves the previous file or none, never a truncated one. /dev/full fails every write with
/// ENOSPC, as a full disk does; linked in place of a loss file, it receives the bytes of a writer that writes in place.
/// </summary>
public sealed class LossFilesTests : IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static LossCurve ThreeSteps()
    {
        var curve = new LossCurve();
        curve.Report(new TrainingProgress(1, 0.25, 0.7, 1e-3, 10));
        curve.Report(new TrainingProgress(2, 0.5, 0.6, 1e-3, 10));
        curve.Report(new TrainingProgress(3, 0.75, 0.5, 5e-4, 10));
        return curve;
    }

    [Fact]
    public void The_loss_files_are_never_written_in_place()
    {
        var curve = ThreeSteps();
        var csv = _folder.File("m.loss.csv");
        var png = _folder.File("m.loss.png");
        File.CreateSymbolicLink(csv, "/dev/full");
        File.CreateSymbolicLink(png, "/dev/full");

        curve.WriteCsv(csv);
        LossPlot.Save(curve.Points, png, "loss", "validation accuracy");

        Assert.Null(new FileInfo(csv).LinkTarget);
        Assert.Equal([LossCurve.CsvHeader, "1,0.25,0.7,0.001,", "2,0.5,0.6,0.001,", "3,0.75,0.5,0.0005,"], File.ReadAllLines(csv));
        Assert.Null(new FileInfo(png).LinkTarget);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png).Take(4));
        Assert.Equal(["m.loss.csv", "m.loss.png"], Directory.GetFileSystemEntries(_folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
