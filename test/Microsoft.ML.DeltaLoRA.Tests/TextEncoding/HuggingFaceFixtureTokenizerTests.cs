using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Tests.TextEncoding;

/// <summary>
/// The tokenizer loaded from each fixture folder against <c>tokenizer_output</c> in its <c>expected_outputs.json</c>: the ids,
/// token types and attention mask that Hugging Face transformers 4.31 produced for <c>texts</c> as one right-padded batch.
/// </summary>
public class HuggingFaceFixtureTokenizerTests
{
    [SharedTheory]
    [InlineData("bert", "Bert")]
    [InlineData("distilbert", "DistilBert")]
    [InlineData("roberta", "Roberta")]
    public void BatchOfFixtureTextsMatchesHuggingFace(string folder, string familyName)
    {
        var family = Enum.Parse<ModelFamily>(familyName);
        using var expected = JsonDocument.Parse(File.ReadAllText(SharedData.PathOf("fixtures", "hf", folder, "expected_outputs.json")));
        var texts = expected.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var output = expected.RootElement.GetProperty("tokenizer_output");

        var tokenizer = PretrainedTokenizers.Load(FixtureVocabulary.HfFolder(folder), family);
        var sequences = texts.Select(text => tokenizer.Encode(text, null, maxLength: 512)).ToArray();
        using var batch = BatchCollator.Collate(sequences, tokenizer);

        Assert.Equal(Matrix(output.GetProperty("input_ids")), Matrix(batch.InputIds));
        Assert.Equal(Matrix(output.GetProperty("attention_mask")), Matrix(batch.AttentionMask));
        bool fixtureHasTypes = output.TryGetProperty("token_type_ids", out var types);
        Assert.Equal(fixtureHasTypes, tokenizer.UsesTokenTypeIds);
        if (fixtureHasTypes) Assert.Equal(Matrix(types), Matrix(batch.TokenTypeIds!));
        else Assert.Null(batch.TokenTypeIds);
    }

    [SharedTheory]
    [InlineData("bert", "Bert", "[PAD]")]
    [InlineData("distilbert", "DistilBert", "[PAD]")]
    [InlineData("roberta", "Roberta", "<pad>")]
    public void PadIdIsTheVocabularyIdOfThePadToken(string folder, string familyName, string padToken)
    {
        var family = Enum.Parse<ModelFamily>(familyName);
        var tokenizer = PretrainedTokenizers.Load(FixtureVocabulary.HfFolder(folder), family);
        int expected = family == ModelFamily.Roberta ? FixtureVocabulary.BpeIds(padToken)[0] : FixtureVocabulary.WordPieceIds(folder, padToken)[0];
        Assert.Equal(expected, tokenizer.PadTokenId);
    }

    private static long[][] Matrix(JsonElement rows) =>
        rows.EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();

    private static long[][] Matrix(TorchSharp.torch.Tensor tensor)
    {
        var values = tensor.data<long>().ToArray();
        int columns = (int)tensor.shape[1];
        return Enumerable.Range(0, (int)tensor.shape[0]).Select(r => values[(r * columns)..((r + 1) * columns)]).ToArray();
    }
}
