using System.IO.Compression;
using Microsoft.ML;

namespace DeltaLoRA.Bench.Spectrum;

/// <summary>
/// The fine-tuned weights inside a fitted pipeline, read the way any user could: save the pipeline with
/// <c>MLContext.Model.Save</c> and open the zip. The Delta-LoRA transformer stores its scorer's files as streams named
/// <c>Scorer.&lt;file&gt;</c>, each an int64 length and the bytes; the weights are <c>Scorer.model.safetensors</c> (a full save),
/// with the adapters already merged into W (the trainer merges them before the model is returned). A LoRA or Delta-LoRA
/// zip also holds <c>Scorer.delta.safetensors</c>, the low-rank record of the change, which <c>angles</c> reads.
/// </summary>
internal static class SavedModelWeights
{
    public const string WeightsStream = "Scorer.model.safetensors";
    public const string DeltaStream = "Scorer.delta.safetensors";

    /// <summary>Saves <paramref name="model"/> to <paramref name="path"/>, whole or not at all.</summary>
    public static void Save(MLContext ml, ITransformer model, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        ml.Model.SaveAtomically(model, inputSchema: null!, path); // no input schema, as Model.Save allows: the bench reads the weights, not the pipeline's input
    }

    /// <summary>The bytes of the scorer file <paramref name="streamName"/> in the saved model zip at <paramref name="zipPath"/>.</summary>
    public static byte[] ReadStream(string zipPath, string streamName)
    {
        if (!File.Exists(zipPath)) throw new FileNotFoundException($"The saved model '{zipPath}' does not exist.", zipPath);
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(zipPath);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{zipPath}' is not a saved ML.NET model (not a zip: {e.Message}).", e);
        }
        using (zip)
        {
            var entries = zip.Entries.Where(e => e.Name == streamName).ToArray();
            if (entries.Length != 1)
                throw new InvalidDataException($"Expected one '{streamName}' stream in the saved model '{zipPath}'; found {entries.Length}.");
            using var stream = entries[0].Open();
            using var reader = new BinaryReader(stream);
            long length = reader.ReadInt64();
            if (length < 8 || length > Array.MaxLength) throw new InvalidDataException($"'{entries[0].FullName}' in '{zipPath}' declares {length} bytes.");
            var bytes = reader.ReadBytes((int)length);
            if (bytes.Length != length) throw new InvalidDataException($"'{entries[0].FullName}' in '{zipPath}' is truncated: {bytes.Length} of {length} bytes.");
            return bytes;
        }
    }
}
