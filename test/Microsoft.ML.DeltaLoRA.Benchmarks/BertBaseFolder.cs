using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using TorchSharp;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>
/// A temporary Hugging Face model folder with the BERT-base shape and random weights (config.json, model.safetensors written by
/// the library, the bert-base-uncased vocabulary from ../shared), so that the public ML.NET catalog can load and fine-tune it
/// like any checkpoint. Deleted on dispose.
/// </summary>
internal sealed class BertBaseFolder : IDisposable
{
    private BertBaseFolder(string path) => Path = path;

    public string Path { get; }

    public static BertBaseFolder Create(int layers, string vocabularyFile) => Create(BenchmarkModel.BertBaseConfig(layers), vocabularyFile);

    /// <summary>The same for another BERT <paramref name="config"/> (the peer report's BERT of NAS-BERT's size).</summary>
    public static BertBaseFolder Create(EncoderConfig config, string vocabularyFile)
    {
        var folder = new BertBaseFolder(Directory.CreateTempSubdirectory("deltalora-bert-").FullName);
        try
        {
            File.WriteAllText(System.IO.Path.Combine(folder.Path, EncoderConfig.FileName), config.ToJson());
            File.Copy(vocabularyFile, System.IO.Path.Combine(folder.Path, "vocab.txt"));
            File.WriteAllText(System.IO.Path.Combine(folder.Path, "tokenizer_config.json"), """{"do_lower_case": true}""");
            torch.manual_seed(0);
            using var model = PretrainedModels.CreateSequenceClassifier(config, BenchmarkModel.NumLabels);
            using var weights = File.Create(System.IO.Path.Combine(folder.Path, "model.safetensors"));
            SafetensorsWriter.Write(weights, ModuleTensors.Export(model));
            return folder;
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
