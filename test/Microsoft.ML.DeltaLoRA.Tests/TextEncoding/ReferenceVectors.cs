using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;

namespace Microsoft.ML.DeltaLoRA.Tests.TextEncoding;

/// <summary>Readers for the tokenizer test vectors of other projects in <c>../shared/fixtures/tokenizers</c>.</summary>
internal static class ReferenceVectors
{
    public const string BertBaseUncasedVocabulary = "bert-base-uncased-vocab.txt";

    public static string PathOf(params string[] parts) => SharedData.PathOf(["fixtures", "tokenizers", .. parts]);

    /// <summary>
    /// The 46 llama.cpp test inputs. The stored copy has Windows line endings; the inputs are the text between lines
    /// <c>__ggml_vocab_test__</c> once those are back to <c>\n</c> (llama.cpp's own reader splits on <c>"\n__ggml_vocab_test__\n"</c>).
    /// </summary>
    public static IReadOnlyList<string> LlamaCppInputs()
    {
        var text = File.ReadAllText(PathOf("llamacpp", "ggml-vocab-bert-bge.gguf.inp")).Replace("\r\n", "\n");
        var parts = text.Split("\n__ggml_vocab_test__\n");
        if (parts[^1].Length != 0) throw new InvalidDataException("The llama.cpp inputs should end with a __ggml_vocab_test__ line.");
        return parts[..^1];
    }

    /// <summary>Expected ids of llama.cpp input <paramref name="index"/>, from one line of a <c>.out</c> file.</summary>
    public static int[] LlamaCppExpectedIds(string outFile, int index)
    {
        var lines = File.ReadAllText(PathOf("llamacpp", outFile)).Replace("\r\n", "\n").Split('\n');
        return lines[index].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
    }

    public static IEnumerable<object[]> LlamaCppCaseIndices() => Enumerable.Range(0, 46).Select(i => new object[] { i });

    public static JsonElement TransformersJsCase(string family, string model, string caseName)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(PathOf("transformersjs", "tokenizer_test_vectors.json")));
        return document.RootElement.GetProperty(family).GetProperty(model).GetProperty(caseName).Clone();
    }

    public static IEnumerable<object[]> TransformersJsCases(string family, string model)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(PathOf("transformersjs", "tokenizer_test_vectors.json")));
        return document.RootElement.GetProperty(family).GetProperty(model).EnumerateObject()
            .Select(c => new object[] { family, model, c.Name }).ToArray();
    }
}
