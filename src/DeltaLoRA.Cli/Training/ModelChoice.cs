using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Microsoft.ML.DeltaLoRA.Modeling.UseLite;

namespace DeltaLoRA.Cli.Training;

/// <summary>
/// The pretrained model --model names: a Hugging Face folder, a USE-Lite folder, a model name from the model cache
/// (minilm, arctic-xs, use-lite), a PEFT LoRA adapter folder (its base with the adapter merged), or (null) the default model.
/// </summary>
internal static class ModelChoice
{
    /// <summary>The CLI's default model (and so the main job's) is the library's: all-MiniLM-L6-v2.</summary>
    public static string DefaultModel => NamedModels.Default.Name;

    /// <summary>Throws a message telling what to do when the model is not there.</summary>
    public static void Require(string? modelPath)
    {
        modelPath ??= DefaultModel;
        if (NamedModels.Find(modelPath) is null && File.Exists(modelPath))
            throw new UserErrorException(
                $"--model '{modelPath}' is a file; expected a model name ({string.Join(", ", NamedModels.All.Select(m => m.Name))}) or a model folder " +
                "(Hugging Face: config.json or model.onnx, weights, tokenizer files; USE-Lite: model.json, weight shards, vocab.json). " +
                "A model zip written by 'deltalora train' is read by evaluate and predict.");
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

    /// <summary>USE-Lite: by name, or a TF.js folder (model.json and vocab.json, no Hugging Face config.json).</summary>
    public static bool IsUseLite(string? modelPath)
    {
        if (NamedModels.Find(modelPath) == NamedModels.UseLite) return true;
        return UseLiteModelFiles.IsModelFolder(NamedModels.ResolveFolder(modelPath));
    }

    /// <summary>
    /// The longest input the model can number: USE-Lite's 128 positions, or a Hugging Face config's max_position_embeddings
    /// (less the padding offset RoBERTa numbers its positions from, as its embeddings do).
    /// </summary>
    public static int MaxTokens(string? modelPath)
    {
        if (IsUseLite(modelPath)) return new UseLiteConfig().MaxPositions;
        var folder = NamedModels.ResolveFolder(modelPath);
        return EncoderConfig.Load(PeftNames.IsAdapterFolder(folder) ? PeftAdapterImport.BaseFolder(folder) : folder).MaxSequenceLength;
    }

    public static string Describe(string? modelPath)
    {
        if (modelPath is null) return $"{NamedModels.Default.Title}, the default model ({NamedModels.Default.ExpectedDirectory})";
        return NamedModels.Find(modelPath) is { } named && !Directory.Exists(modelPath)
            ? $"{named.Title} ({NamedModels.ResolveFolder(modelPath)})"
            : Path.GetFullPath(modelPath);
    }
}
