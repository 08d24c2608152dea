using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA;
using Xunit;

namespace PackageConsumer;

/// <summary>What a user gets from the Microsoft.ML.DeltaLoRA package: the metadata NuGet shows, and a trainer that fits, saves, loads and predicts.</summary>
public class PackageConsumerTests
{
    [Fact]
    public void The_package_describes_itself_and_depends_on_managed_TorchSharp_only()
    {
        var version = typeof(DeltaLoRAOptions).Assembly.GetName().Version!;
        var package = Path.Combine(Locations.RepositoryRoot, "artifacts", "packages", $"Microsoft.ML.DeltaLoRA.{version.ToString(3)}.nupkg");
        Assert.True(File.Exists(package), $"Expected the package this test restored at {package}.");
        Assert.True(File.Exists(Path.ChangeExtension(package, ".snupkg")), "Expected the symbols package beside it.");

        using var zip = ZipFile.OpenRead(package);
        using var nuspecStream = zip.GetEntry("Microsoft.ML.DeltaLoRA.nuspec")!.Open();
        var metadata = XDocument.Load(nuspecStream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string Value(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;
        Assert.Contains("ML.NET trainers", Value("description"));
        Assert.Equal("MIT", Value("license"));
        Assert.Equal("README.md", Value("readme"));
        Assert.NotNull(zip.GetEntry("README.md"));
        Assert.NotNull(zip.GetEntry("lib/net10.0/Microsoft.ML.DeltaLoRA.xml"));
        var dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency")
            .ToDictionary(e => e.Attribute("id")!.Value, e => e.Attribute("version")!.Value);
        // Managed TorchSharp only (no native backend); OnnxSharp and Google.Protobuf read ONNX exports (Checkpoints/Onnx); ONNX Runtime
        // scores models converted with WithOnnxRuntimeScoring (its package carries its own native library).
        Assert.Equal(["Google.Protobuf", "Microsoft.ML", "Microsoft.ML.OnnxRuntime", "Microsoft.ML.Tokenizers", "OnnxSharp", "TorchSharp"], dependencies.Keys.Order());
        // The minimum ML.NET the package states (PACKAGE.md, "Requirements"): 6.0.0, and below 7 (it compiles against 6.0.0's internals).
        Assert.Equal("[6.0.0, 7.0.0)", dependencies["Microsoft.ML"]);
        Assert.Equal("3.0.0", dependencies["Microsoft.ML.Tokenizers"]);
    }

    [SharedFixtureFact]
    public void A_pipeline_fits_saves_loads_and_predicts_the_same()
    {
        // The app's own Microsoft.ML reference (6.0.0) is what runs: ML.NET's assembly versions stay 1.0.0.0, its informational version does not.
        var mlnet = typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.StartsWith("6.0.0+", mlnet);

        var ml = new MLContext(seed: 1);
        string[] good = ["a gorgeous, witty film", "a delight from start to finish", "warm and funny", "beautifully acted", "one of the best this year", "a moving story"];
        string[] bad = ["a dull mess", "tedious and far too long", "the plot makes no sense", "badly acted", "a waste of time", "flat and lifeless"];
        var rows = good.Select(t => new Review { Text = t, Label = "pos" }).Concat(bad.Select(t => new Review { Text = t, Label = "neg" })).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.DeltaLoRA(new DeltaLoRAOptions
            {
                ModelPath = Locations.Fixture("bert", "BertForSequenceClassification"),
                Sentence1ColumnName = nameof(Review.Text),
                Rank = 4, Alpha = 8, Epochs = 2, BatchSize = 4, LearningRate = 5e-3, MaxSequenceLength = 32,
            }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(data);

        var folder = Directory.CreateTempSubdirectory("deltalora-package-");
        try
        {
            var path = Path.Combine(folder.FullName, "model.zip");
            ml.Model.SaveAtomically(model, data.Schema, path);
            var loaded = new MLContext(seed: 2).Model.Load(path, out var schema);
            Assert.Equal(["Label", "Text"], schema.Select(c => c.Name).Order());

            var before = ml.Model.CreatePredictionEngine<Review, Prediction>(model);
            var after = ml.Model.CreatePredictionEngine<Review, Prediction>(loaded);
            foreach (var row in rows)
            {
                var expected = before.Predict(row);
                var actual = after.Predict(row);
                Assert.Contains(expected.PredictedLabel, new[] { "pos", "neg" });
                Assert.Equal(expected.PredictedLabel, actual.PredictedLabel);
                Assert.Equal(expected.Score, actual.Score);
                Assert.Equal(1.0, expected.Score.Sum(), 4);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    public sealed class Review
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }

    public sealed class Prediction
    {
        public string PredictedLabel { get; set; } = "";
        public float[] Score { get; set; } = [];
    }
}

/// <summary>The repository root (this project's ../..) and the shared fixtures beside it (../shared, or DELTALORA_SHARED).</summary>
internal static class Locations
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string? Shared
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("DELTALORA_SHARED") is { Length: > 0 } given ? given : Path.Combine(RepositoryRoot, "..", "shared");
            return Directory.Exists(path) ? Path.GetFullPath(path) : null;
        }
    }

    public static string Fixture(string family, string modelClass) => Path.Combine(Shared!, "fixtures", "hf", family, modelClass);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Microsoft.ML.DeltaLoRA.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No Microsoft.ML.DeltaLoRA.sln above {AppContext.BaseDirectory}.");
    }
}

/// <summary>A fact that needs the tiny Hugging Face fixtures in ../shared; skipped with the reason when they are absent.</summary>
public sealed class SharedFixtureFactAttribute : FactAttribute
{
    public SharedFixtureFactAttribute()
    {
        if (Locations.Shared is null)
            Skip = "../shared (the tiny Hugging Face fixtures) is not beside the repository root; set DELTALORA_SHARED to its path to run this test.";
    }
}
