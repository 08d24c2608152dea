using System.Globalization;
using System.IO.Compression;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Modeling;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

public class PersistenceTests
{
    private sealed record Dataset(Func<MLContext, TextLoader> Loader, string Train, string Eval, string? Sentence2);

    private static Dataset Data(string name) => name switch
    {
        "sst2" => new(Sst2Loader, Sst2Train, Sst2Eval, null),
        "rte" => new(RteLoader, RteTrain, RteEval, "Sentence2"),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static ITransformer FitClassifier(MLContext ml, Dataset data)
        => ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.DeltaLoRA(ClassificationOptions(data.Sentence2)))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(data.Loader(ml).Load(data.Train));

    /// <summary>The lines ModelLoadCheck prints, computed in this process.</summary>
    internal static string[] ExpectedLines(IDataView scored)
    {
        var labels = scored.Schema["PredictedLabel"].Type is TextDataViewType
            ? ReadColumn<ReadOnlyMemory<char>>(scored, "PredictedLabel").Select(v => v.ToString())
            : ReadColumn<float>(scored, "PredictedLabel").Select(v => v.ToString(CultureInfo.InvariantCulture));
        return labels.Zip(ReadScores(scored), (label, score) =>
            $"{label}\t{string.Join(' ', score.Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8")))}").ToArray();
    }

    [SharedTheory]
    [InlineData("sst2")]
    [InlineData("rte")]
    public void A_fresh_process_loads_the_saved_zip_and_reproduces_the_predictions_bit_for_bit(string dataset)
    {
        var data = Data(dataset);
        var ml = new MLContext(seed: 1);
        var loader = data.Loader(ml);
        var model = FitClassifier(ml, data);
        using var folder = new TemporaryDirectory();
        var path = folder.File("model.zip");
        ml.Model.Save(model, loader, path);

        var expected = ExpectedLines(model.Transform(loader.Load(data.Eval)));
        var actual = ModelLoadCheckProcess.Run(path, data.Eval);

        Assert.Equal(File.ReadLines(data.Eval).Count() - 1, expected.Length);
        Assert.True(expected.Distinct().Count() > 1, "The model should not score every row alike.");
        Assert.Equal(expected, actual);
    }

    [SharedFact]
    public void Save_and_Load_round_trip_the_schema_the_settings_and_the_predictions()
    {
        var data = Data("rte");
        var ml = new MLContext(seed: 1);
        var loader = data.Loader(ml);
        var model = FitClassifier(ml, data);
        var eval = loader.Load(data.Eval);
        using var folder = new TemporaryDirectory();
        ml.Model.Save(model, loader.GetOutputSchema(), folder.File("model.zip"));

        var loaded = new MLContext(seed: 2).Model.Load(folder.File("model.zip"), out var inputSchema);

        Assert.Equal(loader.GetOutputSchema().Select(c => (c.Name, c.Type)), inputSchema.Select(c => (c.Name, c.Type)));
        var original = Assert.IsType<DeltaLoRATransformer>(((IEnumerable<ITransformer>)model).ElementAt(1));
        var reloaded = Assert.IsType<DeltaLoRATransformer>(((IEnumerable<ITransformer>)loaded).ElementAt(1));
        Assert.Equal((original.Sentence1ColumnName, original.Sentence2ColumnName, original.ScoreColumnName, original.PredictedLabelColumnName,
                original.OutputCount, original.InferenceBatchSize),
            (reloaded.Sentence1ColumnName, reloaded.Sentence2ColumnName, reloaded.ScoreColumnName, reloaded.PredictedLabelColumnName,
                reloaded.OutputCount, reloaded.InferenceBatchSize));
        var before = model.Transform(eval);
        var after = loaded.Transform(eval);
        Assert.Equal(TextDataViewType.Instance, after.Schema["PredictedLabel"].Type);
        Assert.Equal(ReadColumn<ReadOnlyMemory<char>>(before, "PredictedLabel").Select(v => v.ToString()),
            ReadColumn<ReadOnlyMemory<char>>(after, "PredictedLabel").Select(v => v.ToString()));
        Assert.Equal(Bits(ReadScores(before)), Bits(ReadScores(after)));
    }

    [SharedFact]
    public void The_zip_holds_the_scorer_payload_as_named_streams()
    {
        var ml = new MLContext(seed: 1);
        var data = Data("sst2");
        var model = FitClassifier(ml, data);
        using var folder = new TemporaryDirectory();
        ml.Model.Save(model, data.Loader(ml).GetOutputSchema(), folder.File("model.zip"));

        var payload = DeltaLoRAPart(model).Scorer.Engine.SavePayload();
        Assert.Contains(TorchSharpScoringEngine.SettingsFileName, payload.Keys);
        using var zip = ZipFile.OpenRead(folder.File("model.zip"));
        foreach (var (name, bytes) in payload)
        {
            var entry = Assert.Single(zip.Entries, e => e.Name == TransformerModelFile.PayloadStreamPrefix + name);
            using var reader = new BinaryReader(entry.Open());
            Assert.Equal(bytes.Length, reader.ReadInt64());
            Assert.Equal(bytes, reader.ReadBytes(bytes.Length + 1));
        }
        Assert.Single(zip.Entries, e => e.Name == TransformerModelFile.KeyValuesStream);
    }

    [SharedFact]
    public void A_missing_payload_stream_fails_the_load_with_a_message_naming_it()
    {
        var ml = new MLContext(seed: 1);
        var data = Data("sst2");
        var model = FitClassifier(ml, data);
        using var folder = new TemporaryDirectory();
        var path = folder.File("model.zip");
        ml.Model.Save(model, data.Loader(ml).GetOutputSchema(), path);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
            zip.Entries.Single(e => e.Name == TransformerModelFile.PayloadStreamPrefix + TorchSharpScoringEngine.SettingsFileName).Delete();

        var error = Assert.ThrowsAny<Exception>(() => ml.Model.Load(path, out _));

        var cause = Assert.IsType<InvalidDataException>(Innermost(error));
        Assert.Contains($"Scorer.{TorchSharpScoringEngine.SettingsFileName}", cause.Message);
    }

    [SharedFact]
    public void Saving_into_a_directory_that_does_not_exist_fails_and_writes_nothing()
    {
        var (ml, rows, model) = TwoRowModel();
        using var folder = new TemporaryDirectory();
        var missingDirectory = folder.File("missing");
        var path = Path.Combine(missingDirectory, "model.zip");

        Assert.Throws<DirectoryNotFoundException>(() => ml.Model.Save(model, rows.Schema, path));

        Assert.False(Directory.Exists(missingDirectory));
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder.Path));
    }

    [SharedFact]
    public void A_disposed_model_cannot_be_saved_or_used()
    {
        var (ml, rows, fitted) = TwoRowModel();
        var (model, engine) = Recording(fitted, ownsEngine: true);
        using var folder = new TemporaryDirectory();

        model.Dispose();

        Assert.True(engine.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => ml.Model.Save(model, rows.Schema, folder.File("model.zip")));
        Assert.Throws<ObjectDisposedException>(() => ReadScores(model.Transform(rows)));
    }

    [SharedFact]
    public void SaveAtomically_writes_a_loadable_model_and_leaves_nothing_behind_when_saving_fails()
    {
        var (ml, rows, model) = TwoRowModel();
        using var folder = new TemporaryDirectory();
        var path = folder.File("model.zip");

        ml.Model.SaveAtomically(model, rows.Schema, path);
        var loaded = ml.Model.Load(path, out _);
        Assert.Equal(Bits(ReadScores(model.Transform(rows))), Bits(ReadScores(loaded.Transform(rows))));
        Assert.Equal(["model.zip"], Directory.EnumerateFileSystemEntries(folder.Path).Select(Path.GetFileName));
        var saved = File.ReadAllBytes(path);

        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => ml.Model.SaveAtomically(model, rows.Schema, path));
        Assert.Equal(saved, File.ReadAllBytes(path));
        Assert.Equal(["model.zip"], Directory.EnumerateFileSystemEntries(folder.Path).Select(Path.GetFileName));

        var missing = Assert.Throws<DirectoryNotFoundException>(() => ml.Model.SaveAtomically(loaded, rows.Schema, folder.File("missing/model.zip")));
        Assert.Contains("missing", missing.Message);
        Assert.False(Directory.Exists(folder.File("missing")));
    }

    /// <summary>Damage inside the zip (an entry cut short, compressed bytes it cannot decode) is reported with the entry's name.</summary>
    [SharedFact]
    public void A_damaged_payload_entry_is_named_in_the_error()
    {
        var (ml, rows, model) = TwoRowModel();
        using var disposeModel = model;
        using var folder = new TemporaryDirectory();
        var path = folder.File("model.zip");
        ml.Model.Save(model, rows.Schema, path);
        string entryName;
        using (var zip = System.IO.Compression.ZipFile.OpenRead(path))
            entryName = zip.Entries.First(e => e.Name.StartsWith(TransformerModelFile.PayloadStreamPrefix, StringComparison.Ordinal)).FullName;

        var cut = folder.File("cut.zip");
        File.Copy(path, cut);
        using (var zip = System.IO.Compression.ZipFile.Open(cut, System.IO.Compression.ZipArchiveMode.Update))
        {
            zip.GetEntry(entryName)!.Delete();
            using var stream = zip.CreateEntry(entryName).Open();
            stream.Write([1, 2, 3]);
        }
        var shortEntry = Assert.ThrowsAny<Exception>(() => ml.Model.Load(cut, out _));
        Assert.Contains(Messages(shortEntry), m => m.Contains($"'{Path.GetFileName(entryName)}' stream is damaged", StringComparison.Ordinal));

        var scrambled = folder.File("scrambled.zip");
        var bytes = File.ReadAllBytes(path);
        var name = System.Text.Encoding.UTF8.GetBytes(entryName);
        for (int i = 0; i + 46 < bytes.Length; i++)
        {
            // Central directory header of the entry: signature PK\x01\x02, compression method at offset 10, name at offset 46.
            if (bytes[i] == 0x50 && bytes[i + 1] == 0x4B && bytes[i + 2] == 1 && bytes[i + 3] == 2 && bytes.AsSpan(i + 46).StartsWith(name))
                bytes[i + 10] = 99;
        }
        File.WriteAllBytes(scrambled, bytes);
        var unreadable = Assert.ThrowsAny<Exception>(() => ml.Model.Load(scrambled, out _));
        Assert.Contains(Messages(unreadable), m => m.Contains($"'{Path.GetFileName(entryName)}' stream is damaged", StringComparison.Ordinal));

        static IEnumerable<string> Messages(Exception? error)
        {
            for (; error is not null; error = error.InnerException) yield return error.Message;
        }
    }

    /// <summary>A save killed part-way (kill -9) leaves its hidden temporary; the next save of that path removes it, unless a save still holds it.</summary>
    [SharedFact]
    public void SaveAtomically_removes_temporaries_that_killed_saves_left_but_not_one_being_written()
    {
        var (ml, rows, model) = TwoRowModel();
        using var disposeModel = model;
        using var folder = new TemporaryDirectory();
        var path = folder.File("model.zip");
        var abandoned = folder.File($".model.zip.{Guid.NewGuid():N}.tmp");
        var inUse = folder.File($".model.zip.{Guid.NewGuid():N}.tmp");
        var someoneElses = folder.File(".model.zip.backup.tmp");
        var otherModels = folder.File($".other.zip.{Guid.NewGuid():N}.tmp");
        foreach (var file in new[] { abandoned, someoneElses, otherModels }) File.WriteAllBytes(file, new byte[1000]);

        using (var held = new FileStream(inUse, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            ml.Model.SaveAtomically(model, rows.Schema, path);

        Assert.False(File.Exists(abandoned));
        Assert.Equal(new[] { path, inUse, someoneElses, otherModels }.Order(StringComparer.Ordinal),
            Directory.EnumerateFiles(folder.Path).Order(StringComparer.Ordinal));
        Assert.NotNull(ml.Model.Load(path, out _));
    }

    [SharedFact]
    public void Engine_formats_are_found_by_their_fixed_tag_and_unknown_tags_or_type_names_are_rejected_by_name()
    {
        var unknown = Assert.Throws<InvalidDataException>(() => TransformerModelFile.EngineFormats.Resolve("no/such-format"));
        Assert.Contains("no/such-format", unknown.Message);
        Assert.Contains(TransformerModelFile.EngineFormats.TorchSharp, unknown.Message);
        // Version-1 files named a loader by type; only the library's own loader name maps to a format, no other type is ever created.
        var notOurs = Assert.Throws<InvalidDataException>(() => TransformerModelFile.EngineFormats.TagOfVersion1LoaderName(typeof(string).AssemblyQualifiedName!));
        Assert.Contains(typeof(string).AssemblyQualifiedName!, notOurs.Message);
        Assert.Equal(TransformerModelFile.EngineFormats.TorchSharp,
            TransformerModelFile.EngineFormats.TagOfVersion1LoaderName("Microsoft.ML.DeltaLoRA.FineTunedTextScorerLoader, Microsoft.ML.DeltaLoRA"));

        // The TorchSharp format's loader rebuilds the engine from the payload it saved, scoring as before.
        var (_, _, model) = TwoRowModel();
        using var disposeModel = model;
        var engine = model.Scorer.Engine;
        Assert.Equal(TransformerModelFile.EngineFormats.TorchSharp, engine.FormatTag);
        using var reloaded = Assert.IsType<TorchSharpScoringEngine>(TransformerModelFile.EngineFormats.Resolve(engine.FormatTag)(engine.SavePayload()));
        float[] before = new float[4], after = new float[4];
        engine.Score(["fine", "bad"], null, 2, before);
        reloaded.Score(["fine", "bad"], null, 2, after);
        Assert.Equal(before, after);
    }

    /// <summary>The zip that the code before the format tag saved (see Fixtures/model-zip-v1/README.md), and its predictions then.</summary>
    private static string Version1Zip => FixtureFile("model-zip-v1", "model.zip");

    /// <summary>The zip that the last ML.NET 5.0.1 build saved (see Fixtures/model-zip-mlnet5/README.md).</summary>
    private static string MLNet5Zip => FixtureFile("model-zip-mlnet5", "model.zip");

    private static string FixtureFile(string fixture, string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", fixture, name);

    private static string[] FixturePredictions(string fixture) => File.ReadAllLines(FixtureFile(fixture, "predictions.tsv"));

    private static string[] Version1Predictions => FixturePredictions("model-zip-v1");

    private static void AssertVersion1Predictions(string[] actual) => AssertFixturePredictions("model-zip-v1", actual);

    /// <summary>
    /// The same labels, and every score within 4 units in the last place of the fixture's. Not bit for bit: since the v1
    /// fixture was saved, <see cref="LengthGroups"/> cuts rows into batches of other shapes, which changes the order of GEMM
    /// sums; and a fixture saved under another ML.NET or TorchSharp build may sum in another order too.
    /// </summary>
    private static void AssertFixturePredictions(string fixture, string[] actual)
    {
        static (string Label, int[] ScoreBits) Parse(string line)
        {
            var parts = line.Split('\t');
            return (parts[0], parts[1].Split(' ').Select(hex => int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray());
        }
        var saved = FixturePredictions(fixture);
        var expected = saved.Select(Parse).ToArray();
        var found = actual.Select(Parse).ToArray();
        Assert.Equal(expected.Select(p => p.Label), found.Select(p => p.Label));
        for (int row = 0; row < expected.Length; row++)
        {
            Assert.Equal(expected[row].ScoreBits.Length, found[row].ScoreBits.Length);
            for (int i = 0; i < expected[row].ScoreBits.Length; i++)
                Assert.True(Math.Abs(expected[row].ScoreBits[i] - found[row].ScoreBits[i]) <= 4,
                    $"Row {row}, score {i}: {actual[row]} against the fixture's {saved[row]}.");
        }
    }

    [SharedFact]
    public void A_zip_saved_before_the_format_tag_loads_and_predicts_as_when_it_was_saved()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Model.Load(Version1Zip, out var inputSchema);
        var scored = model.Transform(Sst2Loader(ml).Load(Sst2Eval));

        AssertVersion1Predictions(ExpectedLines(scored));
        Assert.True(Version1Predictions.Distinct().Count() > 1, "The fixture model should not score every row alike.");
        Assert.Equal(["Sentence1", "Label"], inputSchema.Select(c => c.Name));
    }

    [SharedFact]
    public void A_zip_saved_before_the_format_tag_loads_in_a_fresh_process_with_no_registration()
    {
        using var folder = new TemporaryDirectory();
        var withLoader = folder.File("model.zip");
        var ml = new MLContext(seed: 1);
        var loader = Sst2Loader(ml);
        // ModelLoadCheck reads the data with the loader saved in the zip: save the version-1 model again with one, as version 2.
        ml.Model.Save(ml.Model.Load(Version1Zip, out _), loader, withLoader);

        AssertVersion1Predictions(ModelLoadCheckProcess.Run(withLoader, Sst2Eval));
    }

    [SharedFact]
    public void A_zip_saved_with_MLNet_5_loads_and_predicts_as_when_it_was_saved()
    {
        var ml = new MLContext(seed: 1);
        // The zip holds its TextLoader too: ML.NET 5's loader, MapValueToKey and MapKeyToValue must load under this build as well.
        var model = ml.Model.LoadWithDataLoader(MLNet5Zip, out var loader);
        var scored = model.Transform(loader.Load(Sst2Eval));

        AssertFixturePredictions("model-zip-mlnet5", ExpectedLines(scored));
        Assert.Equal(["0", "1"], FixturePredictions("model-zip-mlnet5").Select(line => line.Split('\t')[0]).Distinct().Order());
        Assert.Equal(["Sentence1", "Label"], loader.GetOutputSchema().Select(c => c.Name));
    }

    [SharedFact]
    public void A_zip_saved_with_MLNet_5_loads_in_a_fresh_process()
    {
        AssertFixturePredictions("model-zip-mlnet5", ModelLoadCheckProcess.Run(MLNet5Zip, Sst2Eval));
    }

    /// <summary>The fixture model fine-tuned on two rows: something quick to save and load.</summary>
    private static (MLContext Ml, IDataView Rows, DeltaLoRATransformer Model) TwoRowModel()
    {
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.LoadFromEnumerable(new[] { new TextRow { Sentence1 = "fine", Label = 0 }, new TextRow { Sentence1 = "bad", Label = 1 } });
        return (ml, rows, ml.MulticlassClassification.Trainers.DeltaLoRA(ClassificationOptions()).Fit(rows));
    }

    private static Exception Innermost(Exception error)
    {
        while (error.InnerException is not null) error = error.InnerException;
        return error;
    }
}

/// <summary>
/// One text and a key label with 2 values, for tests that need no files. LoadFromEnumerable stores a key property's value
/// plus one (0 becomes key 1), so Label is the zero-based class here.
/// </summary>
public sealed class TextRow
{
    public string Sentence1 { get; set; } = "";

    [KeyType(2)]
    public uint Label { get; set; }
}
