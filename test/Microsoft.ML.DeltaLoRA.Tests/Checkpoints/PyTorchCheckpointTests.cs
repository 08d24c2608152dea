using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using TorchSharp;
using static TorchSharp.torch;
using static Microsoft.ML.DeltaLoRA.Tests.Modeling.HuggingFaceFixtures;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Tests.Checkpoints;

/// <summary>
/// pytorch_model.bin files are read by a restricted pickle reader: state dicts load, anything that could run code is
/// refused with the global or opcode named, and damaged archives name the file and storage.
/// </summary>
public sealed class PyTorchCheckpointTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static string SourceBin => Path.Combine(ModelFolder("bert", "BertModel", pytorchBin: true), "pytorch_model.bin");
    private string DamagedBin => temp.File("pytorch_model.bin");

    /// <summary>A copy of the BertModel pickle archive with its entries edited.</summary>
    private void EditArchive(Action<ZipArchive, string> edit)
    {
        File.Copy(SourceBin, DamagedBin, overwrite: true);
        using var archive = ZipFile.Open(DamagedBin, ZipArchiveMode.Update);
        var prefix = archive.Entries.Single(e => e.FullName.EndsWith("/data.pkl")).FullName[..^"data.pkl".Length];
        edit(archive, prefix);
    }

    private static void Replace(ZipArchive archive, string name, byte[] content)
    {
        archive.GetEntry(name)!.Delete();
        using var stream = archive.CreateEntry(name, CompressionLevel.NoCompression).Open();
        stream.Write(content);
    }

    private static byte[] ReadEntry(ZipArchive archive, string name)
    {
        using var stream = archive.GetEntry(name)!.Open();
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    private InvalidDataException ReadFails() => Assert.Throws<InvalidDataException>(() => PyTorchCheckpointReader.Read(DamagedBin));

    [SharedFact]
    public void GlobalsOutsideTheAllowListAreRefusedByName()
    {
        // A pickle that would call os.system("ls") if it were unpickled by Python.
        // PROTO 2, GLOBAL 'os system', BINPUT 0, BINUNICODE 'ls', BINPUT 1, TUPLE1, BINPUT 2, REDUCE, BINPUT 3, STOP
        byte[] osSystem = [0x80, 0x02, .. "cos\nsystem\n"u8, (byte)'q', 0, (byte)'X', 2, 0, 0, 0, .. "ls"u8, (byte)'q', 1, 0x85, (byte)'q', 2, (byte)'R', (byte)'q', 3, (byte)'.'];
        EditArchive((archive, prefix) => Replace(archive, prefix + "data.pkl", osSystem));
        var error = ReadFails();
        Assert.Contains(DamagedBin, error.Message);
        Assert.Contains("'os.system'", error.Message);
    }

    [SharedFact]
    public void AnEvilGlobalInsideARealStateDictIsRefused()
    {
        EditArchive((archive, prefix) =>
        {
            var pickle = Encoding.Latin1.GetString(ReadEntry(archive, prefix + "data.pkl"));
            Assert.Contains("torch._utils\n_rebuild_tensor_v2\n", pickle);
            Replace(archive, prefix + "data.pkl", Encoding.Latin1.GetBytes(pickle.Replace("torch._utils\n_rebuild_tensor_v2\n", "builtins\neval\n")));
        });
        var error = ReadFails();
        Assert.Contains("'builtins.eval'", error.Message);
    }

    [SharedFact]
    public void StackGlobalIsCheckedToo()
    {
        // protocol 4: SHORT_BINUNICODE 'subprocess', SHORT_BINUNICODE 'Popen', STACK_GLOBAL
        byte[] pickle = [0x80, 0x04, 0x8c, 10, .. "subprocess"u8, 0x8c, 5, .. "Popen"u8, 0x93, (byte)'.'];
        EditArchive((archive, prefix) => Replace(archive, prefix + "data.pkl", pickle));
        Assert.Contains("'subprocess.Popen'", ReadFails().Message);
    }

    [SharedFact]
    public void UnneededOpcodesAreRefused()
    {
        // INST (protocol 0 object creation): '(' 'i' module '\n' name '\n'
        byte[] pickle = [.. "(i__main__\nEvil\n."u8];
        EditArchive((archive, prefix) => Replace(archive, prefix + "data.pkl", pickle));
        var error = ReadFails();
        Assert.Contains("opcode 0x69", error.Message);
    }

    [SharedFact]
    public void TruncatedPickle()
    {
        EditArchive((archive, prefix) =>
        {
            var pickle = ReadEntry(archive, prefix + "data.pkl");
            Replace(archive, prefix + "data.pkl", pickle[..(pickle.Length / 2)]);
        });
        var error = ReadFails();
        Assert.Contains(DamagedBin, error.Message);
    }

    [SharedFact]
    public void MissingStorage()
    {
        EditArchive((archive, prefix) => archive.GetEntry(prefix + "data/3")!.Delete());
        var error = ReadFails();
        Assert.Contains(DamagedBin, error.Message);
        Assert.Contains("storage '3'", error.Message);
    }

    [SharedFact]
    public void StorageOfTheWrongSize()
    {
        var expectedBytes = 0;
        EditArchive((archive, prefix) =>
        {
            var storage = ReadEntry(archive, prefix + "data/0");
            expectedBytes = storage.Length;
            Replace(archive, prefix + "data/0", storage[..^4]);
        });
        var error = ReadFails();
        Assert.Contains("storage '0'", error.Message);
        Assert.Contains($"{expectedBytes - 4} bytes", error.Message);
        Assert.Contains($"need {expectedBytes}", error.Message);
    }

    /// <summary>
    /// A hand-made archive exercising what the fixtures do not: a strided view at an offset, a Parameter wrapper,
    /// a half-precision storage and two tensors sharing one storage.
    /// </summary>
    [Fact]
    public void StridedViewsParametersAndHalfStoragesAreRebuilt()
    {
        var pickle = new List<byte> { 0x80, 0x02, (byte)'}' }; // PROTO 2, EMPTY_DICT
        void Text(string value) { pickle.Add((byte)'X'); pickle.AddRange(BitConverter.GetBytes(value.Length)); pickle.AddRange(Encoding.UTF8.GetBytes(value)); }
        void Global(string module, string name) { pickle.Add((byte)'c'); pickle.AddRange(Encoding.ASCII.GetBytes($"{module}\n{name}\n")); }
        void Small(int value) { pickle.Add((byte)'K'); pickle.Add((byte)value); }
        void EmptyOrderedDict() { Global("collections", "OrderedDict"); pickle.Add((byte)')'); pickle.Add((byte)'R'); }
        void Tensor(string storageClass, string key, int count, int offset, (int, int) size, (int, int) stride)
        {
            Global("torch._utils", "_rebuild_tensor_v2");
            pickle.Add((byte)'(');
            pickle.Add((byte)'('); Text("storage"); Global("torch", storageClass); Text(key); Text("cpu"); Small(count); pickle.Add((byte)'t'); pickle.Add((byte)'Q');
            Small(offset);
            Small(size.Item1); Small(size.Item2); pickle.Add(0x86);
            Small(stride.Item1); Small(stride.Item2); pickle.Add(0x86);
            pickle.Add(0x89); // requires_grad False
            EmptyOrderedDict();
            pickle.Add((byte)'t');
            pickle.Add((byte)'R');
        }

        // 'transposed': storage 0 = [0, 1, 2, 3, 4, 5], offset 1, size (2, 2), stride (1, 2) -> [[1, 3], [2, 4]], wrapped as a Parameter.
        Text("transposed");
        Global("torch._utils", "_rebuild_parameter");
        pickle.Add((byte)'(');
        Tensor("FloatStorage", "0", 6, 1, (2, 2), (1, 2));
        pickle.Add(0x88);
        EmptyOrderedDict();
        pickle.Add((byte)'t');
        pickle.Add((byte)'R');
        pickle.Add((byte)'s');
        // 'rows': the same storage read as [[0, 1, 2], [3, 4, 5]].
        Text("rows");
        Tensor("FloatStorage", "0", 6, 0, (2, 3), (3, 1));
        pickle.Add((byte)'s');
        // 'half': storage 1 = F16 [1.0, -2.0], shape (1, 2).
        Text("half");
        Tensor("HalfStorage", "1", 2, 0, (1, 2), (2, 1));
        pickle.Add((byte)'s');
        pickle.Add((byte)'.');

        using (var archive = ZipFile.Open(DamagedBin, ZipArchiveMode.Create))
        {
            void Add(string name, byte[] content) { using var stream = archive.CreateEntry(name).Open(); stream.Write(content); }
            Add("archive/data.pkl", pickle.ToArray());
            Add("archive/byteorder", "little"u8.ToArray());
            Add("archive/data/0", new[] { 0f, 1f, 2f, 3f, 4f, 5f }.SelectMany(BitConverter.GetBytes).ToArray());
            Add("archive/data/1", [0x00, 0x3C, 0x00, 0xC0]);
        }

        using var tensors = PyTorchCheckpointReader.Read(DamagedBin);
        Assert.Equal(new[] { "transposed", "rows", "half" }, tensors.Keys);
        Assert.Equal(new long[] { 2, 2 }, tensors["transposed"].shape);
        Assert.Equal(new[] { 1f, 3f, 2f, 4f }, tensors["transposed"].contiguous().data<float>().ToArray());
        Assert.Equal(new[] { 0f, 1f, 2f, 3f, 4f, 5f }, tensors["rows"].contiguous().data<float>().ToArray());
        Assert.Equal(ScalarType.Float32, tensors["half"].dtype);
        Assert.Equal(new[] { 1f, -2f }, tensors["half"].data<float>().ToArray());
        // Tensors sharing a storage are independent copies once read.
        tensors["rows"].zero_();
        Assert.Equal(1f, tensors["transposed"][0, 0].item<float>());
    }

    [Fact]
    public void NeitherZipNorPickle()
    {
        File.WriteAllText(DamagedBin, "this is not a checkpoint");
        Assert.Contains("neither", ReadFails().Message);
    }

    [Fact]
    public void MissingFile()
    {
        var error = Assert.Throws<FileNotFoundException>(() => PyTorchCheckpointReader.Read(DamagedBin));
        Assert.Contains(DamagedBin, error.Message);
    }

    /// <summary>A 2019 pytorch-transformers checkpoint in the legacy (pre-zip) format, against transformers 4.31's outputs for it.</summary>
    [SharedFact]
    public void LegacyPickleLoadsAndMatchesTransformers()
    {
        var folder = SharedData.PathOf("fixtures", "hf", "legacy-bert-pickle");
        var config = EncoderConfig.Load(folder, familyWhenUnstated: ModelFamily.Bert);
        using var weights = PyTorchCheckpointReader.Read(Path.Combine(folder, "pytorch_model.bin"));
        Assert.Contains("embeddings.word_embeddings.weight", weights.Keys);
        using var model = PretrainedModels.LoadEncoder(config, weights);

        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected_outputs.tf4.31.json")));
        var expected = document.RootElement;
        using var batch = Batch(expected.GetProperty("inputs"));
        using var noGrad = torch.no_grad();
        using var output = model.Encode(batch, outputHiddenStates: true);
        var outputs = expected.GetProperty("outputs");
        using var last = FloatTensor(outputs.GetProperty("last_hidden_state").GetProperty("float32"));
        AssertClose(last, output.LastHiddenState, 1e-4, "last_hidden_state");
        using var pooled = FloatTensor(outputs.GetProperty("pooler_output").GetProperty("float32"));
        AssertClose(pooled, output.PoolerOutput!, 1e-4, "pooler_output");
        int index = 0;
        foreach (var layer in outputs.GetProperty("hidden_states_float32").EnumerateArray())
        {
            using var state = FloatTensor(layer);
            AssertClose(state, output.HiddenStates[index], 1e-4, $"hidden_states[{index}]");
            index++;
        }
        Assert.Equal(4, index);
    }
}
