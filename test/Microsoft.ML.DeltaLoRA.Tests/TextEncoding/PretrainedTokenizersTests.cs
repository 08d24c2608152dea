using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using static Microsoft.ML.DeltaLoRA.Tests.TextEncoding.FixtureVocabulary;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Tests.TextEncoding;

/// <summary>
/// Loading from Hugging Face folders: which files are used, clear errors for missing or malformed ones, and the
/// tokenizer_config.json settings (casing, accents, CJK, prefix space) taking effect the way Hugging Face applies them.
/// Folders with changed settings are built in a temporary directory from the fixture vocabularies.
/// </summary>
public sealed class PretrainedTokenizersTests : IDisposable
{
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "deltalora-tokenizer-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_scratch)) Directory.Delete(_scratch, recursive: true);
    }

    [SharedTheory]
    [InlineData("bert", "Bert", new[] { "vocab.txt", "tokenizer_config.json", "special_tokens_map.json" })]
    [InlineData("distilbert", "DistilBert", new[] { "vocab.txt", "tokenizer_config.json", "special_tokens_map.json" })]
    [InlineData("roberta", "Roberta", new[] { "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json" })]
    public void ListsTheTokenizerFilesOfAFolder(string folder, string familyName, string[] expectedNames)
    {
        var family = Enum.Parse<ModelFamily>(familyName);
        var files = PretrainedTokenizers.TokenizerFiles(HfFolder(folder), family);

        Assert.Equal(expectedNames, files.Select(Path.GetFileName));
        Assert.All(files, f => Assert.True(File.Exists(f), f));
    }

    [SharedFact]
    public void ACopyOfTheListedFilesLoadsTheSameTokenizer()
    {
        var copy = FolderWith(PretrainedTokenizers.TokenizerFiles(HfFolder("roberta"), ModelFamily.Roberta));
        const string text = " Paris is the capital of France, running café 😀?";

        var original = PretrainedTokenizers.Load(HfFolder("roberta"), ModelFamily.Roberta).Encode(text, "Hello", 64);
        var reloaded = PretrainedTokenizers.Load(copy, ModelFamily.Roberta).Encode(text, "Hello", 64);

        Assert.Equal(original.InputIds, reloaded.InputIds);
    }

    [SharedTheory]
    [InlineData("Roberta", "merges.txt")]
    [InlineData("Roberta", "vocab.json")]
    [InlineData("Bert", "vocab.txt")]
    public void AMissingRequiredFileIsNamed(string familyName, string missing)
    {
        var family = Enum.Parse<ModelFamily>(familyName);
        var source = HfFolder(family == ModelFamily.Roberta ? "roberta" : "bert");
        var folder = FolderWith(PretrainedTokenizers.TokenizerFiles(source, family).Where(f => Path.GetFileName(f) != missing));

        var error = Assert.Throws<FileNotFoundException>(() => PretrainedTokenizers.Load(folder, family));

        Assert.Contains(missing, error.Message);
        Assert.Equal(Path.Combine(folder, missing), error.FileName);
    }

    [Fact]
    public void AMissingFolderAndAFamilyWithoutTokenizerFilesAreRejected()
    {
        Assert.Throws<DirectoryNotFoundException>(() => PretrainedTokenizers.Load(Path.Combine(_scratch, "absent"), ModelFamily.Bert));
        Directory.CreateDirectory(_scratch);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => PretrainedTokenizers.Load(_scratch, ModelFamily.UseLite));
        Assert.Contains("UseLite", error.Message);
    }

    [SharedFact]
    public void OnlyAVocabularyFileGivesHuggingFaceDefaults()
    {
        // No tokenizer_config.json: BertTokenizer's defaults lowercase and strip accents.
        var folder = FolderWith([Path.Combine(HfFolder("bert"), "vocab.txt")]);

        var tokenizer = PretrainedTokenizers.Load(folder, ModelFamily.Bert);

        Assert.Equal(["vocab.txt"], PretrainedTokenizers.TokenizerFiles(folder, ModelFamily.Bert).Select(Path.GetFileName));
        Assert.Equal(WordPieceIds("bert", "hello", "world"), tokenizer.EncodeWithoutSpecialTokens("HÉLLO World"));
    }

    [SharedFact]
    public void CasedConfigKeepsCase()
    {
        // The fixture vocabulary is lowercase, so a cased tokenizer does not find "Hello".
        var tokenizer = BertWithConfig("""{ "do_lower_case": false }""");

        Assert.Equal(WordPieceIds("bert", "[UNK]", "world"), tokenizer.EncodeWithoutSpecialTokens("Hello world"));
    }

    [SharedFact]
    public void StripAccentsFalseKeepsAccentsOfAnUncasedModel()
    {
        var keepsAccents = BertWithConfig("""{ "do_lower_case": true, "strip_accents": false }""");
        var followsCasing = BertWithConfig("""{ "do_lower_case": true, "strip_accents": null }""");

        Assert.Equal(WordPieceIds("bert", "[UNK]"), keepsAccents.EncodeWithoutSpecialTokens("Héllo"));
        Assert.Equal(WordPieceIds("bert", "hello"), followsCasing.EncodeWithoutSpecialTokens("Héllo"));
    }

    [SharedFact]
    public void ChineseCharactersAreSeparateWordsUnlessDisabled()
    {
        // "博推" as one word has no WordPiece cover ("##推" is not in the vocabulary).
        var isolates = BertWithConfig("""{ "tokenize_chinese_chars": true }""");
        var joins = BertWithConfig("""{ "tokenize_chinese_chars": false }""");

        Assert.Equal(WordPieceIds("bert", "博", "推"), isolates.EncodeWithoutSpecialTokens("博推"));
        Assert.Equal(WordPieceIds("bert", "[UNK]"), joins.EncodeWithoutSpecialTokens("博推"));
    }

    [SharedFact]
    public void AddPrefixSpaceMakesTheFirstWordLookLikeAMidSentenceWord()
    {
        var folder = FolderWith(PretrainedTokenizers.TokenizerFiles(HfFolder("roberta"), ModelFamily.Roberta).Where(f => !f.EndsWith("tokenizer_config.json")));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{ "add_prefix_space": true }""");

        var withPrefix = PretrainedTokenizers.Load(folder, ModelFamily.Roberta);
        var fixtureDefault = PretrainedTokenizers.Load(HfFolder("roberta"), ModelFamily.Roberta);

        // By the fixture merges, "Ġ w o r l d" merges up to "Ġworld", while "w o r l d" stops at "w", "or", "ld".
        Assert.Equal(BpeIds("Ġworld", "Ġworld"), withPrefix.EncodeWithoutSpecialTokens("world world"));
        Assert.Equal(BpeIds("w", "or", "ld", "Ġworld"), fixtureDefault.EncodeWithoutSpecialTokens("world world"));
        Assert.Equal(BpeIds("Ġworld"), withPrefix.EncodeWithoutSpecialTokens(" world"));
    }

    [SharedFact]
    public void SpecialTokensComeFromTheSpecialTokensMap()
    {
        // Declaring "[MASK]" as the pad token changes the pad id to its vocabulary id.
        var folder = FolderWith([Path.Combine(HfFolder("bert"), "vocab.txt")]);
        File.WriteAllText(Path.Combine(folder, "special_tokens_map.json"), """{ "pad_token": { "content": "[MASK]", "lstrip": false } }""");

        Assert.Equal(WordPieceIds("bert", "[MASK]")[0], PretrainedTokenizers.Load(folder, ModelFamily.Bert).PadTokenId);
    }

    [SharedFact]
    public void ASpecialTokenMissingFromTheVocabularyIsNamed()
    {
        var folder = FolderWith([Path.Combine(HfFolder("bert"), "vocab.txt")]);
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{ "cls_token": "<cls>" }""");

        var error = Assert.Throws<InvalidDataException>(() => PretrainedTokenizers.Load(folder, ModelFamily.Bert));

        Assert.Contains("<cls>", error.Message);
        Assert.Contains("vocab.txt", error.Message);
    }

    [SharedTheory]
    [InlineData("tokenizer_config.json", "{ \"do_lower_case\": ")]
    [InlineData("tokenizer_config.json", "{ \"do_lower_case\": \"yes\" }")]
    [InlineData("special_tokens_map.json", "[1, 2]")]
    [InlineData("special_tokens_map.json", "{ \"unk_token\": 5 }")]
    public void AMalformedSettingsFileIsNamed(string fileName, string content)
    {
        var folder = FolderWith([Path.Combine(HfFolder("bert"), "vocab.txt")]);
        File.WriteAllText(Path.Combine(folder, fileName), content);

        var error = Assert.Throws<InvalidDataException>(() => PretrainedTokenizers.Load(folder, ModelFamily.Bert));

        Assert.Contains(fileName, error.Message);
    }

    [SharedFact]
    public void AMalformedBpeVocabularyIsNamed()
    {
        var folder = FolderWith([Path.Combine(HfFolder("roberta"), "merges.txt")]);
        File.WriteAllText(Path.Combine(folder, "vocab.json"), "[\"not\", \"a\", \"map\"]");

        var error = Assert.Throws<InvalidDataException>(() => PretrainedTokenizers.Load(folder, ModelFamily.Roberta));

        Assert.Contains("vocab.json", error.Message);
    }

    private SequenceTokenizer BertWithConfig(string tokenizerConfig)
    {
        var folder = FolderWith([Path.Combine(HfFolder("bert"), "vocab.txt")]);
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), tokenizerConfig);
        return PretrainedTokenizers.Load(folder, ModelFamily.Bert);
    }

    private string FolderWith(IEnumerable<string> files)
    {
        var folder = Path.Combine(_scratch, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        foreach (var file in files) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        return folder;
    }
}
