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
        var (rows, data, model) = FitReviewClassifier(ml);

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

    /// <summary>
    /// The scoring-only app (ScoringOnly/: the package and ML.NET, no TorchSharp-cpu) loads the zip saved after
    /// WithOnnxRuntimeScoring and predicts the labels this app (TorchSharp-cpu) predicts with the fitted model; its build output holds
    /// no libtorch, and it reports that it loaded none.
    /// </summary>
    [SharedFixtureFact]
    public void An_app_without_TorchSharp_cpu_scores_the_onnx_runtime_zip_as_this_app_does()
    {
        var ml = new MLContext(seed: 1);
        var (rows, data, model) = FitReviewClassifier(ml);
        var texts = rows.Select(r => r.Text).Concat(["an utterly charming and funny film", "nothing works here", "i loved every minute", "a boring, pointless sequel"]).ToArray();
        var engine = ml.Model.CreatePredictionEngine<Review, Prediction>(model);
        var expected = texts.Select(t => engine.Predict(new Review { Text = t }).PredictedLabel).ToArray();

        var folder = Directory.CreateTempSubdirectory("deltalora-scoring-only-");
        try
        {
            var zip = Path.Combine(folder.FullName, "model-ort.zip");
            var textsFile = Path.Combine(folder.FullName, "texts.txt");
            using (var onnx = (IDisposable)ml.Model.WithOnnxRuntimeScoring(model))
                ml.Model.SaveAtomically((ITransformer)onnx, data.Schema, zip);
            File.WriteAllLines(textsFile, texts);

            var app = ScoringOnlyApp.Build();
            var native = Directory.EnumerateFiles(Path.GetDirectoryName(app)!, "*", SearchOption.AllDirectories).Select(Path.GetFileName)
                .Where(name => name!.StartsWith("libtorch", StringComparison.Ordinal) || name.StartsWith("libc10", StringComparison.Ordinal)).ToArray();
            Assert.True(native.Length == 0, $"the scoring-only app should ship no libtorch; found {string.Join(", ", native)}");
            var lines = ScoringOnlyApp.Run(app, zip, textsFile);

            Assert.Equal("engine: onnx-runtime", lines[0]);
            Assert.Equal(expected, lines[1..^1]);
            Assert.Equal("torch-libraries: none", lines[^1]);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>MapValueToKey → DeltaLoRA (the tiny BERT fixture, 2 epochs) → MapKeyToValue, on twelve short reviews.</summary>
    private static (Review[] Rows, IDataView Data, ITransformer Model) FitReviewClassifier(MLContext ml)
    {
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
        return (rows, data, pipeline.Fit(data));
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
