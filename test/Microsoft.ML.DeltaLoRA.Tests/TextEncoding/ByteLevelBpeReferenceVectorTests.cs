using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.TextEncoding;

namespace Microsoft.ML.DeltaLoRA.Tests.TextEncoding;

/// <summary>
/// GPT-2 byte-level BPE (the algorithm and split pattern RoBERTa uses) against llama.cpp's GPT-2 vectors, with GPT-2's own
/// vocabulary and merges: leading spaces, runs of spaces and newlines, numbers, emoji and non-Latin scripts, no special tokens.
/// </summary>
public class ByteLevelBpeReferenceVectorTests
{
    // GPT-2 has a single special token, <|endoftext|>, which serves as every special token here; it has no mask token.
    private static readonly Lazy<ByteLevelBpeSequenceTokenizer> Gpt2 = new(() => ByteLevelBpeSequenceTokenizer.Create(
        ReferenceVectors.PathOf("llamacpp", "gpt2-vocab.from-gguf.json"),
        ReferenceVectors.PathOf("llamacpp", "gpt2-merges.from-gguf.txt"),
        new ByteLevelBpeSettings
        {
            ClassificationToken = "<|endoftext|>",
            SeparatorToken = "<|endoftext|>",
            PaddingToken = "<|endoftext|>",
            UnknownToken = "<|endoftext|>",
            MaskToken = null,
        }));

    [SharedTheory]
    [MemberData(nameof(ReferenceVectors.LlamaCppCaseIndices), MemberType = typeof(ReferenceVectors))]
    public void LlamaCppGpt2VectorsMatch(int index)
    {
        string text = ReferenceVectors.LlamaCppInputs()[index];
        var expected = ReferenceVectors.LlamaCppExpectedIds("ggml-vocab-gpt-2.gguf.out", index);

        Assert.Equal(expected, Gpt2.Value.EncodeWithoutSpecialTokens(text));
    }

    [SharedFact]
    public void SpecialTokensComeFromTheVocabulary()
    {
        // <|endoftext|> is the last of GPT-2's 50,257 entries.
        var encoded = Gpt2.Value.Encode("Hello", null, maxLength: 16);
        Assert.Equal([50256, 15496, 50256], encoded.InputIds);
        Assert.Equal(50256, Gpt2.Value.PadTokenId);
    }
}
