using System.IO.Compression;
using Microsoft.ML;

namespace DeltaLoRA.Bench.Spectrum;

/// <summary>
/// The fine-tuned weights inside a fitted pipeline, read the way any user could: save the pipeline with
/// <c>MLContext.Model.Save</c> and open the zip. The Delta-LoRA transformer stores its scorer's files as streams named
/// <c>Scorer.&lt;file&gt;</c>, each an int64 length and the bytes; the weights are <c>Scorer.model.safetensors</c> (a full save),
/// with the adapters already merged into W (the trainer merges them before the model is returned). A LoRA or Delta-LoRA
/// zip also holds <c>Scorer.delta.safetensors</c>, the low-rank record of the change, which this does not read.
/// </summary>
internal static class SavedModelWeights
{
    public static byte[] SafetensorsOf(MLContext ml, ITransformer model)
    {
        using var zipBytes = new MemoryStream();
        ml.Model.Save(model, null, zipBytes);
        zipBytes.Position = 0;
        using var zip = new ZipArchive(zipBytes, ZipArchiveMode.Read);
        const string weightsStream = "Scorer.model.safetensors";
        var entries = zip.Entries.Where(e => e.Name == weightsStream).ToArray();
        if (entries.Length != 1)
            throw new InvalidDataException($"Expected one '{weightsStream}' stream in the saved model (a full save); found {entries.Length}.");
        using var stream = entries[0].Open();
        using var reader = new BinaryReader(stream);
        long length = reader.ReadInt64();
        if (length < 8 || length > Array.MaxLength) throw new InvalidDataException($"'{entries[0].FullName}' declares {length} bytes.");
        var bytes = reader.ReadBytes((int)length);
        if (bytes.Length != length) throw new InvalidDataException($"'{entries[0].FullName}' is truncated: {bytes.Length} of {length} bytes.");
        return bytes;
    }
}
