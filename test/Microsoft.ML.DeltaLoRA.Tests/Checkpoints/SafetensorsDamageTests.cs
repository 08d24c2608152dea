using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using TorchSharp;
using static TorchSharp.torch;
using static Microsoft.ML.DeltaLoRA.Tests.Modeling.HuggingFaceFixtures;

namespace Microsoft.ML.DeltaLoRA.Tests.Checkpoints;

/// <summary>
/// Damaged copies of a transformers-written checkpoint (in a temporary folder) must fail with an error that names the file,
/// the tensor and what was expected, before any tensor reaches libtorch.
/// </summary>
public sealed class SafetensorsDamageTests : IDisposable
{
    private const string Tensor = "encoder.layer.1.intermediate.dense.weight"; // [37, 32] in BertModel
    private const string OtherTensor = "encoder.layer.1.intermediate.dense.bias"; // [37]
    private readonly TempFolder temp = new();

    private string Source => ModelFolder("bert", "BertModel");
    private string WeightsFile => temp.File("model.safetensors");

    public void Dispose() => temp.Dispose();

    private InvalidDataException LoadFails()
    {
        CopyConfig(Source, temp.Path);
        return Assert.Throws<InvalidDataException>(() => PretrainedModels.LoadEncoder(temp.Path));
    }

    private RawSafetensors Original() => RawSafetensors.Read(Path.Combine(Source, "model.safetensors"));

    [SharedFact]
    public void HeaderLengthBeyondTheFile()
    {
        var bytes = File.ReadAllBytes(Path.Combine(Source, "model.safetensors"));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)bytes.Length + 100);
        File.WriteAllBytes(WeightsFile, bytes);
        var error = LoadFails();
        Assert.Contains(WeightsFile, error.Message);
        Assert.Contains($"header length {bytes.Length + 100}", error.Message);
        Assert.Contains($"file size {bytes.Length}", error.Message);
    }

    [SharedFact]
    public void FileShorterThanTheHeaderLength()
    {
        File.WriteAllBytes(WeightsFile, [1, 2, 3]);
        var error = LoadFails();
        Assert.Contains(WeightsFile, error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [SharedFact]
    public void HeaderIsNotJson()
    {
        var bytes = File.ReadAllBytes(Path.Combine(Source, "model.safetensors"));
        bytes[8] = (byte)'x'; // the header's opening brace
        File.WriteAllBytes(WeightsFile, bytes);
        var error = LoadFails();
        Assert.Contains(WeightsFile, error.Message);
        Assert.Contains("not valid JSON", error.Message);
    }

    [SharedFact]
    public void OffsetsBeyondTheDataSection()
    {
        var raw = Original();
        var (begin, end) = raw.Offsets(Tensor);
        raw.SetOffsets(Tensor, raw.Data.Length - (end - begin) + 8, raw.Data.Length + 8);
        raw.Write(WeightsFile);
        var error = LoadFails();
        Assert.Contains(WeightsFile, error.Message);
        Assert.Contains($"'{Tensor}'", error.Message);
        Assert.Contains("out of bounds", error.Message);
        Assert.Contains($"{raw.Data.Length} bytes", error.Message);
    }

    [SharedFact]
    public void TruncatedDataSection()
    {
        var raw = Original();
        raw.Data = raw.Data[..^64];
        raw.Write(WeightsFile);
        var error = LoadFails();
        Assert.Contains(WeightsFile, error.Message);
        Assert.Contains("out of bounds", error.Message);
    }

    [SharedFact]
    public void OverlappingRanges()
    {
        var raw = Original();
        var (begin, end) = raw.Offsets(Tensor);
        var (otherBegin, otherEnd) = raw.Offsets(OtherTensor);
        raw.SetOffsets(OtherTensor, begin + 4, begin + 4 + (otherEnd - otherBegin));
        raw.Write(WeightsFile);
        var error = LoadFails();
        Assert.Contains(WeightsFile, error.Message);
        Assert.Contains("overlaps", error.Message);
        Assert.Contains($"'{Tensor}'", error.Message);
        Assert.Contains($"'{OtherTensor}'", error.Message);
    }

    [SharedFact]
    public void DtypeSizeDoesNotMatchTheRange()
    {
        var raw = Original();
        raw.Entry(Tensor)["dtype"] = "F16";
        raw.Write(WeightsFile);
        var error = LoadFails();
        Assert.Contains(WeightsFile, error.Message);
        Assert.Contains($"'{Tensor}'", error.Message);
        Assert.Contains($"has {37 * 32 * 4} bytes", error.Message);
        Assert.Contains($"need {37 * 32 * 2}", error.Message);
    }

    [SharedFact]
    public void UnsupportedDtype()
    {
        var raw = Original();
        raw.Entry(Tensor)["dtype"] = "F8_E4M3";
        raw.Write(WeightsFile);
        var error = LoadFails();
        Assert.Contains($"'{Tensor}'", error.Message);
        Assert.Contains("'F8_E4M3'", error.Message);
    }

    [SharedFact]
    public void MissingTensor()
    {
        var raw = Original();
        raw.Header.Remove(Tensor);
        raw.Write(WeightsFile);
        var error = LoadFails();
        Assert.Contains(WeightsFile, error.Message);
        Assert.Contains($"'{Tensor}'", error.Message);
        Assert.Contains("[37, 32]", error.Message);
    }

    [SharedFact]
    public void WrongShape()
    {
        using (var original = SafetensorsReader.Read(Path.Combine(Source, "model.safetensors")))
        using (var file = File.Create(WeightsFile))
        using (var replacement = torch.zeros(36, 32))
        {
            var tensors = original.ToDictionary(p => p.Key, p => p.Value);
            tensors[Tensor] = replacement;
            SafetensorsWriter.Write(file, tensors);
        }
        var error = LoadFails();
        Assert.Contains(WeightsFile, error.Message);
        Assert.Contains($"'{Tensor}'", error.Message);
        Assert.Contains("shape [36, 32]; expected [37, 32]", error.Message);
    }

    [SharedFact]
    public void MissingWeightsFile()
    {
        CopyConfig(Source, temp.Path);
        var error = Assert.Throws<FileNotFoundException>(() => PretrainedModels.LoadEncoder(temp.Path));
        Assert.Contains(temp.Path, error.Message);
        Assert.Contains("model.safetensors", error.Message);
        Assert.Contains("pytorch_model.bin", error.Message);
    }

    [SharedFact]
    public void MissingConfigFile()
    {
        File.Copy(Path.Combine(Source, "model.safetensors"), WeightsFile);
        var error = Assert.Throws<FileNotFoundException>(() => PretrainedModels.LoadSequenceClassifier(temp.Path, 2));
        Assert.Contains(temp.File("config.json"), error.Message);
    }

    [SharedFact]
    public void UnsupportedModelTypeThroughTheLoader()
    {
        File.Copy(Path.Combine(Source, "model.safetensors"), WeightsFile);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(Source, "config.json")))!;
        config["model_type"] = "electra";
        File.WriteAllText(temp.File("config.json"), config.ToJsonString());
        var error = Assert.Throws<InvalidDataException>(() => PretrainedModels.LoadSequenceClassifier(temp.Path, 2));
        Assert.Contains(temp.File("config.json"), error.Message);
        Assert.Contains("'electra'", error.Message);
    }

    [SharedFact]
    public void ShardMissing()
    {
        var weightMap = SafetensorsTests.WriteShards(Path.Combine(Source, "model.safetensors"), temp.Path);
        var secondShard = weightMap[Tensor];
        File.Delete(temp.File(secondShard));
        CopyConfig(Source, temp.Path);
        var error = Assert.Throws<FileNotFoundException>(() => PretrainedModels.LoadEncoder(temp.Path));
        Assert.Contains(temp.File(CheckpointWeights.SafetensorsIndexFile), error.Message);
        Assert.Contains($"'{secondShard}'", error.Message);
    }

    [SharedFact]
    public void IndexPlacesATensorInTheWrongShard()
    {
        var weightMap = SafetensorsTests.WriteShards(Path.Combine(Source, "model.safetensors"), temp.Path);
        var wrongShard = weightMap.Values.Distinct().Single(shard => shard != weightMap[Tensor]);
        var index = JsonNode.Parse(File.ReadAllText(temp.File(CheckpointWeights.SafetensorsIndexFile)))!;
        index["weight_map"]![Tensor] = wrongShard;
        File.WriteAllText(temp.File(CheckpointWeights.SafetensorsIndexFile), index.ToJsonString());
        var error = LoadFails();
        Assert.Contains($"'{Tensor}'", error.Message);
        Assert.Contains(wrongShard, error.Message);
    }

    [SharedFact]
    public void BadInputIdsAreRefusedBeforeTheEmbeddingLookup()
    {
        using var model = PretrainedModels.LoadEncoder(Source);
        using var tooLarge = new EncoderBatch(torch.tensor(new long[] { 2, 98, 3 }).unsqueeze(0), torch.ones(1, 3, dtype: ScalarType.Int64));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.forward(tooLarge));
        Assert.Contains("input_ids", error.Message);
        Assert.Contains("[0, 98)", error.Message);
        using var tooLong = new EncoderBatch(torch.zeros(1, 65, dtype: ScalarType.Int64), torch.ones(1, 65, dtype: ScalarType.Int64));
        var length = Assert.Throws<ArgumentOutOfRangeException>(() => model.forward(tooLong));
        Assert.Contains("65", length.Message);
        Assert.Contains("64", length.Message);
        using var typeTwo = 2L.ToScalar();
        using var badTypes = new EncoderBatch(torch.zeros(1, 3, dtype: ScalarType.Int64), torch.ones(1, 3, dtype: ScalarType.Int64), torch.full(1, 3, typeTwo));
        Assert.Contains("token_type_ids", Assert.Throws<ArgumentOutOfRangeException>(() => model.forward(badTypes)).Message);
    }
}
