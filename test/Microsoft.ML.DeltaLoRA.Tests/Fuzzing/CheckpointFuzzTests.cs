using System.Text;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Checkpoints.Onnx;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;

namespace Microsoft.ML.DeltaLoRA.Tests.Fuzzing;

/// <summary>
/// The checkpoint readers and the model zip on mutated copies of real files (the ../shared fixtures, and a model zip saved
/// here): each reads the file or throws <see cref="InvalidDataException"/>, the type they document for a bad file, in bounded
/// time and memory (<see cref="FuzzCase"/>).
/// </summary>
public class CheckpointFuzzTests
{
    private static string BertFixture => HuggingFaceFixtures.ModelFolder("bert", "BertForSequenceClassification");

    private static bool IsInvalidData(Exception e) => e is InvalidDataException;

    [SharedFact]
    public void Safetensors_reader()
        => FuzzCase.Check("safetensors", File.ReadAllBytes(Path.Combine(BertFixture, "model.safetensors")), bytes =>
        {
            using var weights = SafetensorsReader.Read(new MemoryStream(bytes), "fuzz.safetensors");
        }, IsInvalidData);

    [SharedFact]
    public void PyTorch_zip_checkpoint_reader()
        => CheckFile("pytorch_model.bin", Path.Combine(BertFixture, "pytorch_model_bin", "pytorch_model.bin"), path =>
        {
            using var weights = PyTorchCheckpointReader.Read(path);
        });

    [SharedFact]
    public void PyTorch_legacy_pickle_reader()
        => CheckFile("pytorch_model.bin", SharedData.PathOf("fixtures", "hf", "legacy-bert-pickle", "pytorch_model.bin"), path =>
        {
            using var weights = PyTorchCheckpointReader.Read(path);
        });

    /// <summary>
    /// The first crash the suite found: a legacy checkpoint whose storage element count, times the element size, wraps around to a
    /// negative size got past the truncation check and failed in <c>new byte[size]</c> with an OverflowException. Here every byte
    /// from the middle of the storages on reads 0x2C, so the next count is 0x2C2C2C2C2C2C2C2C (3.2·10^18 elements of 4 bytes).
    /// </summary>
    [SharedFact]
    public void A_legacy_checkpoint_whose_storage_size_overflows_is_refused_as_truncated()
    {
        using var folder = new TemporaryDirectory();
        var path = folder.File("pytorch_model.bin");
        var original = File.ReadAllBytes(SharedData.PathOf("fixtures", "hf", "legacy-bert-pickle", "pytorch_model.bin"));
        File.WriteAllBytes(path, new FileMutation(MutationKind.Overwrite, 0.5, InHeader: false, Length: original.Length, Value: 0x2C).Apply(original));

        var error = Assert.Throws<InvalidDataException>(() => PyTorchCheckpointReader.Read(path));

        Assert.Contains($"The PyTorch checkpoint '{path}' is truncated: storage '", error.Message);
        Assert.Contains($"declares {0x2C2C2C2C2C2C2C2CL} elements of 4 bytes", error.Message);
    }

    [SharedFact]
    public void Onnx_reader_and_its_derived_config()
        => CheckFile(OnnxCheckpointReader.FileName, Path.Combine(BertFixture, OnnxCheckpointReader.FileName), path =>
        {
            using var weights = OnnxCheckpointReader.ReadWithDerivedConfig(path).Weights;
        });

    [SharedFact]
    public void Encoder_config_reader()
        => FuzzCase.Check("config.json", File.ReadAllBytes(Path.Combine(BertFixture, EncoderConfig.FileName)),
            bytes => EncoderConfig.Parse(Encoding.UTF8.GetString(bytes), "fuzz/config.json"), IsInvalidData);

    [Fact]
    public void Encoder_config_reader_on_random_text()
        => FuzzCase.CheckRandom("config.json", bytes => EncoderConfig.Parse(Encoding.UTF8.GetString(bytes), "fuzz/config.json"), IsInvalidData);

    /// <summary>The zip <c>mlContext.Model.Load</c> reads: ML.NET's repository, our main stream and the model's payload streams.</summary>
    [SharedFact]
    public void Model_zip_through_Model_Load()
    {
        var ml = new MLContext(seed: 1);
        using var folder = new TemporaryDirectory();
        var saved = folder.File("model.zip");
        var (model, _) = MLNetTestData.UntrainedModel(ml, Microsoft.ML.DeltaLoRA.MLNet.PredictionTask.MulticlassClassification, outputCount: 2, batchSize: 4);
        using (model)
            ml.Model.Save(model, ml.Data.LoadFromEnumerable(new[] { new TextRow { Sentence1 = "fine" } }).Schema, saved);

        var path = folder.File("mutated.zip");
        FuzzCase.Check("model zip", File.ReadAllBytes(saved), bytes =>
        {
            File.WriteAllBytes(path, bytes);
            var loaded = ml.Model.Load(path, out _);
            (loaded as IDisposable)?.Dispose();
        }, IsDocumentedModelLoadError);
    }

    /// <summary>
    /// Model.Load documents no exception types of its own; ML.NET reports a damaged repository with <see cref="InvalidOperationException"/>
    /// or <see cref="FormatException"/> (its checks) and the zip library with <see cref="InvalidDataException"/>; ours are InvalidDataException.
    /// ML.NET wraps a loader's exception in a TargetInvocationException.
    /// </summary>
    private static bool IsDocumentedModelLoadError(Exception e)
    {
        while (e is System.Reflection.TargetInvocationException { InnerException: { } inner }) e = inner;
        return e is InvalidDataException or FormatException or InvalidOperationException { InnerException: null or InvalidDataException or FormatException };
    }

    /// <summary>Readers that take a path: each mutated file is written beside nothing else, under the original's name.</summary>
    private static void CheckFile(string fileName, string original, Action<string> read)
    {
        using var folder = new TemporaryDirectory();
        var path = folder.File(fileName);
        FuzzCase.Check(fileName, File.ReadAllBytes(original), bytes =>
        {
            File.WriteAllBytes(path, bytes);
            read(path);
        }, IsInvalidData);
    }
}
