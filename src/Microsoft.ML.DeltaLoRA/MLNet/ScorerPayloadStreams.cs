namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// The scorer's named byte blobs, one repository stream each ("Scorer.&lt;name&gt;"), each an int64 length then the bytes
/// (zip entry streams do not report their length).
/// </summary>
internal static class ScorerPayloadStreams
{
    public static void CheckName(string name)
    {
        bool valid = name.Length > 0 && name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
        if (!valid)
            throw new InvalidOperationException($"Scorer payload name '{name}' is invalid; use letters, digits, '.', '_' and '-', not starting with '.'.");
    }

    public static void Save(ModelSaveContext ctx, IReadOnlyList<string> names, IReadOnlyDictionary<string, byte[]> payload)
    {
        foreach (var name in names)
        {
            var bytes = payload[name];
            ctx.SaveBinaryStream(TransformerModelFormat.PayloadStreamPrefix + name, writer =>
            {
                writer.Write((long)bytes.Length);
                writer.Write(bytes);
            });
        }
    }

    public static IReadOnlyDictionary<string, byte[]> Load(ModelLoadContext ctx, IReadOnlyList<string> names)
    {
        var payload = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            CheckStoredName(name);
            var stream = TransformerModelFormat.PayloadStreamPrefix + name;
            bool found = ReadEntry(ctx, stream, reader =>
            {
                long length = reader.ReadInt64();
                if (length < 0 || length > Array.MaxLength)
                    throw new InvalidDataException($"The model's '{stream}' stream declares {length} bytes; expected 0 to {Array.MaxLength}.");
                var bytes = reader.ReadBytes((int)length);
                if (bytes.Length != length)
                    throw new InvalidDataException($"The model's '{stream}' stream is truncated: expected {length} bytes, found {bytes.Length}.");
                payload[name] = bytes;
            });
            if (!found) throw new InvalidDataException($"The model's '{stream}' stream is missing.");
        }
        return payload;
    }

    /// <summary>The zip layer's own errors ("Unable to read beyond the end of the stream", "unsupported compression method") with the entry named.</summary>
    private static bool ReadEntry(ModelLoadContext ctx, string stream, Action<BinaryReader> read)
    {
        try
        {
            return ctx.TryLoadBinaryStream(stream, read);
        }
        catch (Exception e) when (e is EndOfStreamException || e is InvalidDataException && !e.Message.StartsWith("The model's", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"The model's '{stream}' stream is damaged ({e.Message}); expected an int64 length and that many bytes. Save the model again.", e);
        }
    }

    private static void CheckStoredName(string name)
    {
        try
        {
            CheckName(name);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }
}
