using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.UseLite;
using UseLiteDefault = Microsoft.ML.DeltaLoRA.Modeling.UseLite.DefaultModel;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace DeltaLoRA.Cli.Training;

/// <summary>
/// The pretrained model --model names: a Hugging Face folder, a USE-Lite folder, a model name from the model cache
/// (minilm, arctic-xs, use-lite), or (null) the default model.
/// </summary>
internal static class ModelChoice
{
    /// <summary>
    /// The CLI's default model (and so the main job's): all-MiniLM-L6-v2, which reached 98.0 % on the spam demo against
    /// USE-Lite's 96.7 %, with 4.6 minutes of fine-tuning on two idle cores (README, Main job). The library's own default
    /// (ModelPath null) stays USE-Lite, which needs no .NET build to fetch.
    /// </summary>
    public const string DefaultModel = "minilm";

    /// <summary>Throws a message telling what to do when the model is not there.</summary>
    public static void Require(string? modelPath)
    {
        if (modelPath is null)
        {
            if (!UseLiteDefault.IsPresent)
                throw new UserErrorException(
                    $"The default model (Universal Sentence Encoder Lite) is not in '{UseLiteDefault.ExpectedDirectory}'. Fetch it with " +
                    $"build/fetch-model.sh (./build.sh demo does), set {UseLiteDefault.CacheEnvironmentVariable} to the folder that holds " +
                    $"{UseLiteDefault.FolderName}/, or name a model folder with --model.");
            return;
        }
        if (NamedModels.Find(modelPath) is null && !Directory.Exists(modelPath))
            throw new UserErrorException(
                $"--model: the folder '{modelPath}' does not exist; expected a model name ({string.Join(", ", NamedModels.All.Select(m => m.Name))}), " +
                "a Hugging Face model folder (config.json or model.onnx, weights, tokenizer files) or a USE-Lite folder (model.json, weight shards, vocab.json).");
        try
        {
            NamedModels.ResolveFolder(modelPath);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new UserErrorException($"--model: {e.Message}");
        }
    }

    /// <summary>USE-Lite: the default model, or a TF.js folder (model.json and vocab.json, no Hugging Face config.json).</summary>
    public static bool IsUseLite(string? modelPath)
    {
        if (modelPath is null || NamedModels.Find(modelPath) == NamedModels.UseLite) return true;
        var folder = NamedModels.ResolveFolder(modelPath);
        return File.Exists(Path.Combine(folder, "model.json")) && File.Exists(Path.Combine(folder, "vocab.json"))
               && !File.Exists(Path.Combine(folder, "config.json"));
    }

    /// <summary>
    /// The longest input the model can number: USE-Lite's 128 positions, or a Hugging Face config's max_position_embeddings
    /// (less the padding offset RoBERTa numbers its positions from, as its embeddings do).
    /// </summary>
    public static int MaxTokens(string? modelPath)
    {
        if (IsUseLite(modelPath)) return new UseLiteConfig().MaxPositions;
        var config = EncoderConfig.Load(NamedModels.ResolveFolder(modelPath));
        return config.Family == ModelFamily.Roberta ? config.MaxPositionEmbeddings - config.PadTokenId - 1 : config.MaxPositionEmbeddings;
    }

    public static string Describe(string? modelPath)
    {
        if (modelPath is null) return $"Universal Sentence Encoder Lite, the default model ({UseLiteDefault.ExpectedDirectory})";
        return NamedModels.Find(modelPath) is { } named && !Directory.Exists(modelPath)
            ? $"{named.Title} ({NamedModels.ResolveFolder(modelPath)})"
            : Path.GetFullPath(modelPath);
    }
}
