using System.IO.Compression;
using Microsoft.ML;

namespace DeltaLoRA.Bench.Spectrum;

/// <summary>
/// The fine-tuned weights inside a fitted pipeline, read the way any user could: save the pipeline with
/// <c>MLContext.Model.Save</c> and open the zip. The Delta-LoRA transformer stores its scorer's files as streams named
/// <c>Scorer.&lt;file&gt;</c>, each an int64 length and the bytes; the weights are the one <c>.safetensors</c> file,
/// with the adapters already merged into W (the trainer merges them before the model is returned).
/// </summary>
internal static class SavedModelWeights
{
    public static byte[] SafetensorsOf(MLContext ml, ITransformer model)
    {
        using var zipBytes = new MemoryStream();
        ml.Model.Save(model, null, zipBytes);
        zipBytes.Position = 0;
        using var zip = new ZipArchive(zipBytes, ZipArchiveMode.Read);
        var entries = zip.Entries.Where(e => e.Name.EndsWith(".safetensors", StringComparison.Ordinal)).ToArray();
        if (entries.Length != 1)
            throw new InvalidDataException($"Expected one .safetensors stream in the saved model; found {entries.Length} ({string.Join(", ", entries.Select(e => e.FullName))}).");
        using var stream = entries[0].Open();
        using var reader = new BinaryReader(stream);
        long length = reader.ReadInt64();
        if (length < 8 || length > Array.MaxLength) throw new InvalidDataException($"'{entries[0].FullName}' declares {length} bytes.");
        var bytes = reader.ReadBytes((int)length);
        if (bytes.Length != length) throw new InvalidDataException($"'{entries[0].FullName}' is truncated: {bytes.Length} of {length} bytes.");
        return bytes;
    }
}
