using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.UseLite;

namespace DeltaLoRA.Cli.Training;

/// <summary>The pretrained model --model names: a Hugging Face folder, a USE-Lite folder, or (null) the default model.</summary>
public static class ModelChoice
{
    /// <summary>Throws a message telling what to do when the model folder is not there.</summary>
    public static void Require(string? modelPath)
    {
        if (modelPath is null)
        {
            if (!DefaultModel.IsPresent)
                throw new UserErrorException(
                    $"The default model (Universal Sentence Encoder Lite) is not in '{DefaultModel.ExpectedDirectory}'. Fetch it with " +
                    $"build/fetch-model.sh (./build.sh demo does), set {DefaultModel.CacheEnvironmentVariable} to the folder that holds " +
                    $"{DefaultModel.FolderName}/, or name a model folder with --model.");
            return;
        }
        if (!Directory.Exists(modelPath))
            throw new UserErrorException(
                $"--model: the folder '{modelPath}' does not exist; expected a Hugging Face model folder (config.json, weights, tokenizer files) " +
                "or a USE-Lite folder (model.json, weight shards, vocab.json).");
    }

    /// <summary>USE-Lite: the default model, or a TF.js folder (model.json and vocab.json, no Hugging Face config.json).</summary>
    public static bool IsUseLite(string? modelPath)
        => modelPath is null
           || (File.Exists(Path.Combine(modelPath, "model.json")) && File.Exists(Path.Combine(modelPath, "vocab.json"))
               && !File.Exists(Path.Combine(modelPath, "config.json")));

    /// <summary>
    /// The longest input the model can number: USE-Lite's 128 positions, or a Hugging Face config's max_position_embeddings
    /// (less the padding offset RoBERTa numbers its positions from, as its embeddings do).
    /// </summary>
    public static int MaxTokens(string? modelPath)
    {
        if (IsUseLite(modelPath)) return new UseLiteConfig().MaxPositions;
        var config = EncoderConfig.Load(modelPath!);
        return config.Family == ModelFamily.Roberta ? config.MaxPositionEmbeddings - config.PadTokenId - 1 : config.MaxPositionEmbeddings;
    }

    public static string Describe(string? modelPath)
        => modelPath is null ? $"Universal Sentence Encoder Lite, the default model ({DefaultModel.ExpectedDirectory})" : Path.GetFullPath(modelPath);
}
