using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.TextEncoding;

/// <summary>
/// Loads the tokenizer of a Hugging Face model folder (as <c>save_pretrained</c> writes it) for a model family, and lists the
/// files that make it up, so that they can be stored with a trained model and loaded again from a copy of them.
/// </summary>
internal static class PretrainedTokenizers
{
    /// <summary>Files a family's tokenizer cannot do without.</summary>
    public static IReadOnlyList<string> RequiredFileNames(ModelFamily family)
        => HuggingFaceTokenizerOf(family).TokenizerFiles;

    /// <summary>Files read when present: casing, accents, special tokens, prefix space.</summary>
    public static IReadOnlyList<string> OptionalFileNames { get; } =
        [HuggingFaceTokenizerConfig.ConfigFileName, HuggingFaceTokenizerConfig.SpecialTokensMapFileName];

    /// <summary>
    /// Full paths of the tokenizer files in <paramref name="folder"/> that <see cref="Load"/> reads for <paramref name="family"/>:
    /// the required ones, then the optional ones that exist.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A required file is missing (the message names it).</exception>
    public static IReadOnlyList<string> TokenizerFiles(string folder, ModelFamily family)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Tokenizer folder '{folder}' does not exist.");
        var files = new List<string>();
        foreach (var name in RequiredFileNames(family))
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException(
                    $"The {family} tokenizer needs '{name}', which is not in '{folder}' (expected files: {string.Join(", ", RequiredFileNames(family))}; "
                    + "a folder with only tokenizer.json is not supported).", path);
            }
            files.Add(path);
        }
        files.AddRange(OptionalFileNames.Select(name => Path.Combine(folder, name)).Where(File.Exists));
        return files;
    }

    /// <summary>The tokenizer of the Hugging Face folder <paramref name="folder"/> for <paramref name="family"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A required file is missing (the message names it).</exception>
    /// <exception cref="InvalidDataException">A file is malformed, or a special token is not in the vocabulary.</exception>
    public static SequenceTokenizer Load(string folder, ModelFamily family)
    {
        var files = TokenizerFiles(folder, family);
        var config = HuggingFaceTokenizerConfig.Read(folder);
        var descriptor = HuggingFaceTokenizerOf(family);
        return descriptor.Tokenizer == TokenizerKind.WordPiece
            ? WordPieceSequenceTokenizer.Create(files[0], WordPieceSettingsFrom(config, descriptor))
            : ByteLevelBpeSequenceTokenizer.Create(files[0], files[1], ByteLevelBpeSettingsFrom(config));
    }

    private static WordPieceSettings WordPieceSettingsFrom(HuggingFaceTokenizerConfig config, ModelFamilyDescriptor family)
    {
        var defaults = new WordPieceSettings();
        return new WordPieceSettings
        {
            LowerCase = config.GetBoolean("do_lower_case") ?? defaults.LowerCase,
            StripAccents = config.GetBoolean("strip_accents"),
            TokenizeChineseChars = config.GetBoolean("tokenize_chinese_chars") ?? defaults.TokenizeChineseChars,
            UsesTokenTypeIds = family.UsesTokenTypeIds,
            UnknownToken = config.GetToken("unk_token", defaults.UnknownToken),
            ClassificationToken = config.GetToken("cls_token", defaults.ClassificationToken),
            SeparatorToken = config.GetToken("sep_token", defaults.SeparatorToken),
            PaddingToken = config.GetToken("pad_token", defaults.PaddingToken),
            MaskToken = config.GetToken("mask_token", defaults.MaskToken),
        };
    }

    private static ByteLevelBpeSettings ByteLevelBpeSettingsFrom(HuggingFaceTokenizerConfig config)
    {
        var defaults = new ByteLevelBpeSettings();
        return new ByteLevelBpeSettings
        {
            AddPrefixSpace = config.GetBoolean("add_prefix_space") ?? defaults.AddPrefixSpace,
            ClassificationToken = config.GetToken("cls_token", defaults.ClassificationToken),
            SeparatorToken = config.GetToken("sep_token", defaults.SeparatorToken),
            PaddingToken = config.GetToken("pad_token", defaults.PaddingToken),
            UnknownToken = config.GetToken("unk_token", defaults.UnknownToken),
            MaskToken = config.GetOptionalToken("mask_token") ?? defaults.MaskToken,
        };
    }

    private static ModelFamilyDescriptor HuggingFaceTokenizerOf(ModelFamily family)
    {
        var descriptor = ModelFamilies.Of(family);
        if (descriptor.Tokenizer is not (TokenizerKind.WordPiece or TokenizerKind.ByteLevelBpe))
            throw new ArgumentOutOfRangeException(nameof(family), family,
                $"{family} has no Hugging Face tokenizer files; supported families: {string.Join(", ", ModelFamilies.All.Where(d => d.ConfigModelType is not null).Select(d => d.Family))}.");
        return descriptor;
    }
}
