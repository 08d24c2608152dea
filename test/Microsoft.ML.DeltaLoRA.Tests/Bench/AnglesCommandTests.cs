using System.Globalization;
using DeltaLoRA.Bench;
using DeltaLoRA.Bench.Angles;
using DeltaLoRA.Bench.Spectrum;
using DeltaLoRA.Bench.Study;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;

namespace Microsoft.ML.DeltaLoRA.Tests.Bench;

/// <summary>
/// <c>deltalora-bench angles</c> on models the bench really trained (the tiny BERT fixture, a few steps): the change it reads from
/// a zip's <c>Scorer.delta.safetensors</c> is the merged weights minus the pretrained checkpoint (both read from their own
/// files), a compact zip records the same change as the full one, and the table it writes holds a model against itself at 0°.
/// </summary>
public class AnglesCommandTests
{
    private const int Rank = 2;
    private static string BertFolder => HuggingFaceFixtures.ModelFolder("bert", "BertForSequenceClassification");

    [SharedFact]
    public void The_saved_delta_is_the_trained_change_and_angles_compares_it_matrix_by_matrix()
    {
        using var folder = new TemporaryDirectory();
        var log = new StringWriter();
        int exit = BenchCommandLine.Invoke(
            ["spectrum", "--quick", "--model", BertFolder, "--data", SharedData.PathOf("data", "glue"), "--out", folder.Path, "--tasks", "sst2",
             "--methods", "DeltaLoRA,LoRA", "--rank", Rank.ToString(CultureInfo.InvariantCulture), "--steps", "12", "--start-steps", "4", "--lr", "0.01"], log);
        Assert.True(exit == 0, log.ToString());
        var zips = Directory.GetFiles(Path.Combine(folder.Path, SpectrumStudy.ModelsFolderName), "*.zip").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(2, zips.Length);
        var deltaLoRA = Assert.Single(zips, z => Path.GetFileName(z).StartsWith("sst2-DeltaLoRA-", StringComparison.Ordinal));
        var loRA = Assert.Single(zips, z => Path.GetFileName(z).StartsWith("sst2-LoRA-", StringComparison.Ordinal));

        var pretrained = SpectrumStudy.PretrainedMatrices(BertFolder);
        foreach (var (zip, maxFactorRank) in new[] { (deltaLoRA, 2 * Rank), (loRA, Rank) })
        {
            var saved = SavedDelta.Read(zip);
            Assert.Equal(Rank, saved.AdapterRank);
            Assert.Equal(pretrained.Keys.ToHashSet(), saved.Changes.Keys.ToHashSet());
            var merged = AdaptedMatrix.Select(Float32Safetensors.Read(SavedModelWeights.ReadStream(zip, SavedModelWeights.WeightsStream), AdaptedMatrix.Is, zip), zip);
            foreach (var (matrix, change) in saved.Changes)
            {
                Assert.InRange(change.Left.Shape[1], 1, maxFactorRank);
                AssertProductIsChange(change, pretrained[matrix], merged[matrix], matrix.Label);
            }
        }
        // Delta-LoRA past K with B_K ≠ 0 records 2r factor columns: [(1+λ)·s·B_T, −λ·s·B_K].
        Assert.All(SavedDelta.Read(deltaLoRA).Changes.Values, c => Assert.Equal(2 * Rank, c.Left.Shape[1]));

        // A compact save of the same model records the same factors.
        var compact = folder.File("compact.zip");
        SaveCompact(loRA, compact);
        Assert.Throws<InvalidDataException>(() => SavedModelWeights.ReadStream(compact, SavedModelWeights.WeightsStream)); // no merged weights in it
        var fromCompact = SavedDelta.Read(compact);
        foreach (var (matrix, change) in SavedDelta.Read(loRA).Changes)
        {
            Assert.Equal(change.Left.Values, fromCompact.Changes[matrix].Left.Values);
            Assert.Equal(change.Right.Values, fromCompact.Changes[matrix].Right.Values);
        }

        var anglesOut = Path.Combine(folder.Path, "angles");
        var anglesLog = new StringWriter();
        exit = BenchCommandLine.Invoke(["angles", "--pair", $"self={loRA},{compact}", "--pair", $"delta vs lora={deltaLoRA},{loRA}", "--out", anglesOut, "--random-draws", "20"], anglesLog);
        Assert.True(exit == 0, anglesLog.ToString());
        Assert.Contains("| delta vs lora |", File.ReadAllText(Path.Combine(anglesOut, AnglesReport.MarkdownFileName)));
        var lines = File.ReadAllLines(Path.Combine(anglesOut, AnglesReport.CsvFileName));
        var column = lines[0].Split(',').Select((name, i) => (name, i)).ToDictionary(c => c.name, c => c.i);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(2 * pretrained.Count, rows.Length);
        foreach (var row in rows.Where(r => r[0] == "self"))
        {
            Assert.All(row[column["column_angles"]].Split(' ').Select(Parse), a => Assert.InRange(a, 0, 0.01));
            Assert.Equal(1, Parse(row[column["norm_ratio"]]), 6);
            Assert.Equal(1, Parse(row[column["cosine"]]), 6);
        }
        foreach (var row in rows.Where(r => r[0] == "delta vs lora"))
        {
            int p = int.Parse(row[column["p"]], CultureInfo.InvariantCulture), q = int.Parse(row[column["q"]], CultureInfo.InvariantCulture);
            Assert.InRange(p, 1, 2 * Rank);
            Assert.InRange(q, 1, Rank);
            var angles = row[column["column_angles"]].Split(' ').Select(Parse).ToArray();
            Assert.Equal(Math.Min(p, q), angles.Length);
            Assert.All(angles, a => Assert.InRange(a, 0, 90));
        }

        // A file that is not a saved model is refused with its name.
        var notAZip = Assert.Throws<InvalidDataException>(() => SavedDelta.Read(folder.WriteFile("empty.zip", "")));
        Assert.Contains("empty.zip", notAZip.Message);
    }

    private static void AssertProductIsChange(LowRankChange change, Float32Tensor pretrained, Float32Tensor merged, string label)
    {
        int rows = (int)change.Left.Shape[0], k = (int)change.Left.Shape[1], columns = (int)change.Right.Shape[1];
        Assert.Equal(new long[] { rows, columns }, merged.Shape);
        double magnitude = merged.Values.Max(v => Math.Abs((double)v));
        double worst = 0, largest = 0;
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                double product = 0;
                for (int t = 0; t < k; t++) product += (double)change.Left.Values[i * k + t] * change.Right.Values[t * columns + j];
                double actual = (double)merged.Values[i * columns + j] - pretrained.Values[i * columns + j];
                worst = Math.Max(worst, Math.Abs(product - actual));
                largest = Math.Max(largest, Math.Abs(actual));
            }
        }
        // Each of the 12 steps' W updates and the merge rounds W once in float32 (as CompactSaveTests bounds it).
        Assert.True(worst <= (2 * 12 + 2) * magnitude * Math.Pow(2, -23), $"{label}: |L·R − (W_T − W_0)| reaches {worst:E3} (largest change {largest:E3})");
        Assert.True(largest > 100 * worst, $"{label}: the change ({largest:E3}) must stand well above the rounding ({worst:E3}) for the check to mean anything");
    }

    private static void SaveCompact(string fullZip, string compactZip)
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Model.Load(fullZip, out var schema);
        var transformer = ((IEnumerable<ITransformer>)model).OfType<DeltaLoRATransformer>().Single();
        ((TorchSharpScoringEngine)transformer.Scorer.Engine).SaveMode = ModelSaveMode.Compact;
        ml.Model.SaveAtomically(model, schema, compactZip);
        FineTuneRunner.Release(model);
    }

    private static double Parse(string text) => double.Parse(text, CultureInfo.InvariantCulture);
}
