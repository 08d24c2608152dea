namespace Microsoft.ML.DeltaLoRA.Checkpoints;

/// <summary>
/// Reads safetensors files (F32, F16, BF16, F64 as float32; integer tensors as they are).
/// The header is validated before any tensor data is read: see <see cref="SafetensorsHeader"/> for the checks.
/// </summary>
internal static class SafetensorsReader
{
    public static StateDict Read(string file)
    {
        ArgumentException.ThrowIfNullOrEmpty(file);
        if (!File.Exists(file)) throw new FileNotFoundException($"The safetensors file '{file}' does not exist.", file);
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20);
        return Read(stream, file);
    }

    /// <summary>
    /// Reads every tensor from <paramref name="stream"/>, which need not be seekable (a zip entry, for example);
    /// <paramref name="sourceName"/> names it in errors.
    /// </summary>
    public static StateDict Read(Stream stream, string sourceName)
    {
        long? length = stream.CanSeek ? stream.Length - stream.Position : null;
        var header = SafetensorsHeader.Read(stream, length, sourceName);
        var result = new StateDict();
        try
        {
            long position = 0;
            foreach (var entry in header.Entries)
            {
                Skip(stream, entry.Begin - position, sourceName);
                var size = entry.End - entry.Begin;
                if (size > Array.MaxLength)
                    throw new InvalidDataException($"The tensor '{entry.Name}' in '{sourceName}' has {size} bytes, more than one array can hold.");
                var bytes = new byte[size];
                if (SafetensorsHeader.ReadFully(stream, bytes) < bytes.Length)
                    throw new InvalidDataException($"The safetensors file '{sourceName}' is truncated: the data of tensor '{entry.Name}' ends beyond the end of the file.");
                position = entry.End;
                result.Add(entry.Name, entry.Type.ToTensor(bytes, entry.Shape), sourceName);
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static void Skip(Stream stream, long count, string sourceName)
    {
        if (count <= 0) return;
        if (stream.CanSeek)
        {
            stream.Seek(count, SeekOrigin.Current);
            return;
        }
        var buffer = new byte[Math.Min(count, 1 << 16)];
        while (count > 0)
        {
            int read = stream.Read(buffer, 0, (int)Math.Min(count, buffer.Length));
            if (read == 0) throw new InvalidDataException($"The safetensors file '{sourceName}' is truncated.");
            count -= read;
        }
    }
}
