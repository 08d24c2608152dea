using System.Globalization;

namespace Microsoft.ML.DeltaLoRA.Checkpoints;

/// <summary>
/// The encoder weights a config declares, checked against the bytes of weights present before a network of that size is
/// built. A config.json, in a folder or in a model zip someone hands over, is data: one that declares 100,000 layers or a
/// hidden size of 16,384 over a small checkpoint would otherwise take gigabytes, or crash in native code, before any weight
/// is read. Every format stores a weight in at least one byte, so more declared weights than bytes present cannot be right.
/// </summary>
internal static class DeclaredWeights
{
    /// <summary>
    /// The embeddings (vocabulary, positions and token types, each a hidden-size vector) and, per layer, the attention's four
    /// h×h matrices and the feed-forward's two h×i ones; biases, norms, pooler and head are left out, so this is a lower bound.
    /// </summary>
    public static double Count(EncoderConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        double hidden = config.HiddenSize;
        return ((double)config.VocabSize + config.MaxPositionEmbeddings + config.TypeVocabSize) * hidden
            + (double)config.NumLayers * (4 * hidden * hidden + 2 * hidden * config.IntermediateSize);
    }

    /// <summary>Throws when <paramref name="weightBytes"/> bytes (of <paramref name="weightsSource"/>) are too few for the weights the config declares.</summary>
    public static void Require(EncoderConfig config, long weightBytes, string configSource, string weightsSource)
    {
        double declared = Count(config);
        if (declared <= weightBytes) return;
        throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
            $"The model configuration '{configSource}' declares {config.NumLayers} layers of hidden size {config.HiddenSize} (intermediate size " +
            $"{config.IntermediateSize}), a vocabulary of {config.VocabSize} and {config.MaxPositionEmbeddings} positions: {declared:N0} weights, " +
            $"but {weightsSource} has {weightBytes:N0} bytes, too few to hold them; the configuration does not describe these weights."));
    }

    /// <summary>
    /// The bytes of the files in a model folder: its weights (shards and external data included), and a little more. Links
    /// are followed (a Hugging Face cache snapshot links each file to its blob), since a link's own length is its target's name.
    /// </summary>
    public static long BytesIn(string folder) => Directory.EnumerateFiles(folder).Sum(file =>
    {
        var info = new FileInfo(file);
        return (info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true)) is FileInfo { Exists: true } target ? target.Length : 0;
    });
}
