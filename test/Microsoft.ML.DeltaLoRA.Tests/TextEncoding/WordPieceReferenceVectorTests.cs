using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.TextEncoding;

namespace Microsoft.ML.DeltaLoRA.Tests.TextEncoding;

/// <summary>
/// WordPiece with the canonical bert-base-uncased vocabulary against vectors made by other projects: transformers.js
/// (Hugging Face tokenizers' output for bert-base-uncased and distilbert-base-uncased, special tokens included) and llama.cpp's
/// bge-small-en vectors (same vocabulary, no special tokens). Every vector of these vocabularies is checked.
/// </summary>
public class WordPieceReferenceVectorTests
{
    // bert-base-uncased's tokenizer_config: do_lower_case true, strip_accents unset (so accents are stripped), CJK isolated: the defaults.
    private static readonly Lazy<WordPieceSequenceTokenizer> Uncased = new(() =>
        WordPieceSequenceTokenizer.Create(ReferenceVectors.PathOf(ReferenceVectors.BertBaseUncasedVocabulary)));

    public static IEnumerable<object[]> BertBaseUncasedCases() =>
        ReferenceVectors.TransformersJsCases("bert", "Xenova/bert-base-uncased")
            .Concat(ReferenceVectors.TransformersJsCases("distilbert", "Xenova/distilbert-base-uncased-finetuned-sst-2-english"));

    [SharedTheory]
    [MemberData(nameof(BertBaseUncasedCases))]
    public void TransformersJsVectorsMatch(string family, string model, string caseName)
    {
        var vector = ReferenceVectors.TransformersJsCase(family, model, caseName);
        string text = vector.GetProperty("text").GetString()!;
        string? pair = vector.TryGetProperty("text_pair", out var p) ? p.GetString() : null;
        var expected = vector.GetProperty("ids").EnumerateArray().Select(v => v.GetInt32()).ToArray();

        var encoded = Uncased.Value.Encode(text, pair, maxLength: 512);

        Assert.Equal(expected, encoded.InputIds);
    }

    [SharedTheory]
    [MemberData(nameof(ReferenceVectors.LlamaCppCaseIndices), MemberType = typeof(ReferenceVectors))]
    public void LlamaCppBgeVectorsMatch(int index)
    {
        string text = ReferenceVectors.LlamaCppInputs()[index];
        var expected = ReferenceVectors.LlamaCppExpectedIds("ggml-vocab-bert-bge.gguf.out", index);

        Assert.Equal(expected, Uncased.Value.EncodeWithoutSpecialTokens(text));
    }

    [SharedFact]
    public void LlamaCppFilesHoldOneExpectedLinePerInput()
    {
        int inputs = ReferenceVectors.LlamaCppInputs().Count;
        Assert.Equal(46, inputs);
        foreach (var outFile in new[] { "ggml-vocab-bert-bge.gguf.out", "ggml-vocab-gpt-2.gguf.out" })
        {
            var lines = File.ReadAllText(ReferenceVectors.PathOf("llamacpp", outFile)).Replace("\r\n", "\n").TrimEnd('\n').Split('\n');
            Assert.Equal(inputs, lines.Length);
        }
    }
}
