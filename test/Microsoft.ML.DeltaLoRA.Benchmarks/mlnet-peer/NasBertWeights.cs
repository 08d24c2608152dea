using System.Reflection;
using Microsoft.ML.TorchSharp.NasBert;

namespace Microsoft.ML.DeltaLoRA.Benchmarks.MlNetPeer;

/// <summary>
/// A random-weights NAS-BERT encoder file in the package's own format, written by its own internal
/// <c>ModelForPrediction(options, 1, 50265, 2).GetEncoder().save(path)</c>, at <c>&lt;TempFilePath&gt;/mlnet/NasBert2000000.tsm</c>,
/// where TextClassification looks before downloading (it cannot download offline). Random weights cost the same time as trained
/// ones. Needs the patched package (the stock one frees the parameters it initialises).
/// </summary>
internal static class NasBertWeights
{
    public const string FileName = "NasBert2000000.tsm";

    public static string PathUnder(string tempFilePath) => Path.Combine(tempFilePath, "mlnet", FileName);

    public static string Write(string tempFilePath)
    {
        var assembly = typeof(TextClassificationTrainer).Assembly;
        var modelType = assembly.GetTypes().FirstOrDefault(t => t.Name == "ModelForPrediction")
            ?? throw new InvalidOperationException("Microsoft.ML.TorchSharp has no ModelForPrediction type; is it version 0.23.1?");
        var constructor = modelType.GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .FirstOrDefault(c => c.GetParameters().Length == 4)
            ?? throw new InvalidOperationException("ModelForPrediction has no (options, padIndex, vocabulary, labels) constructor.");
        var options = Activator.CreateInstance(constructor.GetParameters()[0].ParameterType)!;
        using var model = (IDisposable)constructor.Invoke([options, 1, 50265, 2]);
        var encoder = modelType.GetMethod("GetEncoder", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)!.Invoke(model, null)
            as global::TorchSharp.torch.nn.Module ?? throw new InvalidOperationException("ModelForPrediction.GetEncoder() returned no module.");
        var path = PathUnder(tempFilePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        encoder.save(path);
        return path;
    }
}
