using System.IO.Compression;
using System.Numerics;
using Microsoft.ML.DeltaLoRA.Checkpoints.Pickle;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Checkpoints;

/// <summary>
/// Reads a PyTorch state dict (<c>pytorch_model.bin</c>) without Python: the zip format of torch ≥ 1.6 and the older
/// "legacy" format (a sequence of pickles followed by raw storages). The pickle is parsed by a restricted reader that
/// knows only the opcodes and globals a state dict needs and refuses anything else, so nothing in the file is ever run.
/// </summary>
/// <remarks>
/// Why not TorchSharp.PyBridge (1.4.4)? It reads the zip checkpoints bit for bit as this reader does, but it refuses the legacy
/// format outright (NotImplementedException, "re-save using the new PyTorch format"), and its unpickler (Razorvine.Pickle) has
/// no allow-list: an unknown global becomes a generic object instead of an error, so a pickle naming <c>subprocess.Popen</c>
/// or using the INST opcode only fails later, on a cast, without naming what it held; damaged archives fail without naming
/// the file or the storage. Keeping a reader that refuses by name what a state dict does not need is worth its few hundred lines.
/// </remarks>
internal static class PyTorchCheckpointReader
{
    /// <summary>The number torch writes first in a legacy checkpoint.</summary>
    private static readonly BigInteger LegacyMagicNumber = BigInteger.Parse("119547037146038801333356");

    public static StateDict Read(string file)
    {
        ArgumentException.ThrowIfNullOrEmpty(file);
        if (!File.Exists(file)) throw new FileNotFoundException($"The PyTorch checkpoint '{file}' does not exist.", file);
        using var stream = File.OpenRead(file);
        Span<byte> signature = stackalloc byte[4];
        var read = stream.Read(signature);
        stream.Position = 0;
        if (read == 4 && signature.SequenceEqual("PK\u0003\u0004"u8)) return ReadZip(stream, file);
        if (read >= 2 && signature[0] == 0x80) return ReadLegacy(stream, file);
        throw new InvalidDataException($"The PyTorch checkpoint '{file}' is neither a torch zip archive nor a legacy torch pickle.");
    }

    private static StateDict ReadZip(Stream stream, string file)
    {
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"The PyTorch checkpoint '{file}' is not a readable zip archive: {e.Message}", e);
        }
        using (archive)
        {
            var pickleEntry = archive.Entries.FirstOrDefault(entry => entry.FullName == "data.pkl" || entry.FullName.EndsWith("/data.pkl", StringComparison.Ordinal))
                ?? throw new InvalidDataException($"The PyTorch checkpoint '{file}' has no data.pkl entry.");
            var prefix = pickleEntry.FullName[..^"data.pkl".Length];
            if (archive.GetEntry(prefix + "byteorder") is { } byteOrderEntry)
            {
                using var reader = new StreamReader(byteOrderEntry.Open());
                var order = reader.ReadToEnd().Trim();
                if (order != "little")
                    throw new InvalidDataException($"The PyTorch checkpoint '{file}' is {order}-endian; only little-endian checkpoints are supported.");
            }

            var globals = new TorchStateDictGlobals(file);
            var root = Unpickle(ReadEntry(pickleEntry), file, globals);
            var storages = new StorageCache(file, reference =>
            {
                var entry = archive.GetEntry($"{prefix}data/{reference.Key}")
                    ?? throw new InvalidDataException($"The PyTorch checkpoint '{file}' has no data for storage '{reference.Key}' (entry '{prefix}data/{reference.Key}').");
                return ReadEntry(entry).ToArray();
            });
            return Materialize(root, storages, file);
        }
    }

    private static StateDict ReadLegacy(Stream stream, string file)
    {
        var globals = new TorchStateDictGlobals(file);
        var magic = Unpickle(stream, file, globals);
        if (magic is not BigInteger number || number != LegacyMagicNumber)
            throw new InvalidDataException($"The PyTorch checkpoint '{file}' is not a torch file: it starts with {RestrictedUnpickler.Describe(magic)} instead of torch's magic number.");
        if (Unpickle(stream, file, globals) is not long protocol || protocol != 1001)
            throw new InvalidDataException($"The PyTorch checkpoint '{file}' has an unsupported legacy protocol version.");
        if (Unpickle(stream, file, globals) is PickleDict systemInfo
            && systemInfo.Entries.FirstOrDefault(entry => Equals(entry.Key, "little_endian")).Value is false)
            throw new InvalidDataException($"The PyTorch checkpoint '{file}' is big-endian; only little-endian checkpoints are supported.");

        var types = new Dictionary<string, StorageReference>();
        var root = Unpickle(stream, file, globals, reference => types[reference.Key] = reference);
        if (Unpickle(stream, file, globals) is not List<object?> keys)
            throw new InvalidDataException($"The PyTorch checkpoint '{file}' has no list of storage keys after its state dict.");

        // Storages follow in the order of the key list, each as an 8-byte element count and the raw elements.
        var data = new Dictionary<string, byte[]>();
        foreach (var key in keys.Select(key => key as string ?? throw new InvalidDataException($"The PyTorch checkpoint '{file}' has a storage key that is not a string.")))
        {
            var reference = types.TryGetValue(key, out var known) ? known
                : throw new InvalidDataException($"The PyTorch checkpoint '{file}' stores data for storage '{key}', which no tensor uses.");
            var countBytes = new byte[8];
            if (SafetensorsHeader.ReadFully(stream, countBytes) < 8)
                throw new InvalidDataException($"The PyTorch checkpoint '{file}' is truncated before storage '{key}'.");
            var count = BitConverter.ToInt64(countBytes);
            long remaining = stream.Length - stream.Position;
            // Compared before multiplying: a damaged count times the element size can wrap around to a small or negative size.
            if (count < 0 || count > remaining / reference.Type.Size)
                throw new InvalidDataException(
                    $"The PyTorch checkpoint '{file}' is truncated: storage '{key}' declares {count} elements of {reference.Type.Size} bytes, and {remaining} bytes remain.");
            var bytes = new byte[count * reference.Type.Size];
            stream.ReadExactly(bytes);
            data[key] = bytes;
        }
        var storages = new StorageCache(file, reference => data.TryGetValue(reference.Key, out var bytes)
            ? bytes
            : throw new InvalidDataException($"The PyTorch checkpoint '{file}' has no data for storage '{reference.Key}'."));
        return Materialize(root, storages, file);
    }

    private static MemoryStream ReadEntry(ZipArchiveEntry entry)
    {
        var memory = new MemoryStream((int)Math.Min(entry.Length, Array.MaxLength));
        using (var source = entry.Open()) source.CopyTo(memory);
        memory.Position = 0;
        return memory;
    }

    private static object? Unpickle(Stream stream, string file, TorchStateDictGlobals globals, Action<StorageReference>? onStorage = null)
        => new RestrictedUnpickler(stream, file, globals, id =>
        {
            var reference = globals.ReadStorageId(id);
            onStorage?.Invoke(reference);
            return reference;
        }).Load();

    private static StateDict Materialize(object? root, StorageCache storages, string file)
    {
        if (root is not PickleDict dictionary)
            throw new InvalidDataException($"The PyTorch checkpoint '{file}' does not hold a state dict: its top object is {RestrictedUnpickler.Describe(root)}, not a dictionary of tensors.");
        var result = new StateDict();
        try
        {
            using (storages)
            {
                foreach (var (key, value) in dictionary.Entries)
                {
                    var name = key as string ?? throw new InvalidDataException($"The PyTorch checkpoint '{file}' has a state-dict key that is not a string.");
                    if (value is not TensorReference tensor)
                        throw new InvalidDataException($"The PyTorch checkpoint '{file}' maps '{name}' to {RestrictedUnpickler.Describe(value)}, not a tensor.");
                    result.Add(name, storages.View(tensor, name), file);
                }
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Storages read once each (tied weights share one), and views of them copied out as float32 tensors.</summary>
    private sealed class StorageCache(string file, Func<StorageReference, byte[]> readBytes) : IDisposable
    {
        private readonly Dictionary<string, Tensor> storages = [];

        public Tensor View(TensorReference tensor, string name)
        {
            var storage = Storage(tensor.Storage);
            long lastElement = LastElement(tensor, name);
            if (tensor.Shape.All(dim => dim > 0) && lastElement >= tensor.Storage.ElementCount)
                throw new InvalidDataException(
                    $"The PyTorch checkpoint '{file}' describes tensor '{name}' (shape [{string.Join(", ", tensor.Shape)}], offset {tensor.Offset}) " +
                    $"beyond the {tensor.Storage.ElementCount} elements of its storage '{tensor.Storage.Key}'.");
            using var view = storage.as_strided(tensor.Shape, tensor.Stride, tensor.Offset);
            return tensor.Storage.Type.IsFloatingPoint && view.dtype != ScalarType.Float32 ? view.to(ScalarType.Float32) : view.clone();
        }

        /// <summary>The index of a view's last element in its storage; shapes, strides and offsets from a damaged file can overflow it.</summary>
        private long LastElement(TensorReference tensor, string name)
        {
            try
            {
                return checked(tensor.Offset + tensor.Shape.Zip(tensor.Stride).Sum(pair => pair.First == 0 ? 0 : checked((pair.First - 1) * pair.Second)));
            }
            catch (OverflowException)
            {
                throw new InvalidDataException(
                    $"The PyTorch checkpoint '{file}' describes tensor '{name}' with shape [{string.Join(", ", tensor.Shape)}], strides [{string.Join(", ", tensor.Stride)}] " +
                    $"and offset {tensor.Offset}, which reach beyond any storage.");
            }
        }

        private Tensor Storage(StorageReference reference)
        {
            if (storages.TryGetValue(reference.Key, out var cached))
            {
                if (cached.dtype != reference.Type.StoredAs)
                    throw new InvalidDataException($"The PyTorch checkpoint '{file}' reads storage '{reference.Key}' with two element types.");
                return cached;
            }
            var bytes = readBytes(reference);
            if (reference.ElementCount < 0 || bytes.Length / reference.Type.Size != reference.ElementCount || bytes.Length % reference.Type.Size != 0)
                throw new InvalidDataException(
                    $"The PyTorch checkpoint '{file}' has {bytes.Length} bytes for storage '{reference.Key}', but {reference.ElementCount} {reference.Type.Name} elements need {(Int128)reference.ElementCount * reference.Type.Size}.");
            var storage = torch.empty([reference.ElementCount], reference.Type.StoredAs);
            if (bytes.Length > 0) storage.bytes = bytes;
            storages[reference.Key] = storage;
            return storage;
        }

        public void Dispose()
        {
            foreach (var storage in storages.Values) storage.Dispose();
            storages.Clear();
        }
    }
}
