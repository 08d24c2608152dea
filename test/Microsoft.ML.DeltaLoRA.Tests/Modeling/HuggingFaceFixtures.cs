using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling;

/// <summary>
/// The tiny Hugging Face checkpoints in ../shared/fixtures/hf and the outputs transformers 4.31 computed for them
/// (<c>expected_outputs.json</c>: <c>models[Class].cases[case].inputs/outputs</c>).
/// </summary>
internal static class HuggingFaceFixtures
{
    public static readonly string[] Families = ["bert", "roberta", "distilbert"];

    private static readonly Dictionary<string, JsonDocument> Documents = [];

    public static string FamilyFolder(string family) => SharedData.PathOf("fixtures", "hf", family);

    /// <summary>The folder of one model class; <paramref name="pytorchBin"/> selects its <c>pytorch_model_bin/</c> copy.</summary>
    public static string ModelFolder(string family, string modelClass, bool pytorchBin = false)
        => pytorchBin ? Path.Combine(FamilyFolder(family), modelClass, "pytorch_model_bin") : Path.Combine(FamilyFolder(family), modelClass);

    public static string ClassName(string family, string suffix) => family switch
    {
        "bert" => "Bert" + suffix,
        "roberta" => "Roberta" + suffix,
        "distilbert" => "DistilBert" + suffix,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "Unknown family."),
    };

    public static JsonElement Expected(string family)
    {
        lock (Documents)
        {
            if (!Documents.TryGetValue(family, out var document))
            {
                document = JsonDocument.Parse(File.ReadAllText(Path.Combine(FamilyFolder(family), "expected_outputs.json")));
                Documents[family] = document;
            }
            return document.RootElement;
        }
    }

    public static JsonElement Case(string family, string modelClass, string caseName)
        => Expected(family).GetProperty("models").GetProperty(modelClass).GetProperty("cases").GetProperty(caseName);

    public static IEnumerable<string> CaseNames(string family, string modelClass)
        => Expected(family).GetProperty("models").GetProperty(modelClass).GetProperty("cases").EnumerateObject().Select(c => c.Name);

    /// <summary>The batch of a case: its ids, its mask (all ones when the case gives none, as transformers assumes), its token types.</summary>
    public static EncoderBatch Batch(JsonElement inputs)
    {
        var ids = LongTensor(inputs.GetProperty("input_ids"));
        var mask = inputs.TryGetProperty("attention_mask", out var maskJson) ? LongTensor(maskJson) : torch.ones_like(ids);
        var types = inputs.TryGetProperty("token_type_ids", out var typesJson) ? LongTensor(typesJson) : null;
        return new EncoderBatch(ids, mask, types);
    }

    /// <summary>A tensor from nested JSON arrays of numbers.</summary>
    public static Tensor FloatTensor(JsonElement nested)
    {
        var (values, shape) = Flatten(nested, element => element.GetSingle());
        return torch.tensor(values, shape);
    }

    private static Tensor LongTensor(JsonElement nested)
    {
        var (values, shape) = Flatten(nested, element => element.GetInt64());
        return torch.tensor(values, shape);
    }

    private static (T[] Values, long[] Shape) Flatten<T>(JsonElement nested, Func<JsonElement, T> read)
    {
        var values = new List<T>();
        var shape = new List<long>();
        void Visit(JsonElement element, int depth)
        {
            if (element.ValueKind != JsonValueKind.Array)
            {
                values.Add(read(element));
                return;
            }
            if (shape.Count == depth) shape.Add(element.GetArrayLength());
            foreach (var item in element.EnumerateArray()) Visit(item, depth + 1);
        }
        Visit(nested, 0);
        return (values.ToArray(), shape.ToArray());
    }

    /// <summary>Asserts that <paramref name="actual"/> has the shape of <paramref name="expected"/> and is within <paramref name="tolerance"/> of it everywhere.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape),
            $"{what}: shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}].");
        using var difference = (expected - actual.detach().cpu().to(ScalarType.Float32)).abs();
        var maximum = difference.max().item<float>();
        Assert.True(maximum <= tolerance, $"{what}: largest difference {maximum:G4} exceeds {tolerance:G4}.");
    }

    /// <summary>Writes a copy of a model folder's config.json into <paramref name="folder"/>.</summary>
    public static void CopyConfig(string sourceFolder, string folder)
        => File.Copy(Path.Combine(sourceFolder, "config.json"), Path.Combine(folder, "config.json"), overwrite: true);
}

/// <summary>A temporary folder, deleted when disposed.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "deltalora-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
