using Microsoft.ML.DeltaLoRA.Architectures;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.TextEncoding;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.DeltaLoRA.Tests.Export;

/// <summary>
/// Can a text-input ONNX graph tokenize as we do? ONNX Runtime Extensions 0.14.0's tokenizer ops against our tokenizers on the
/// shared tokenizer test vectors (llama.cpp's 46 inputs), the 872 SST-2 dev sentences and the 408 MRPC dev pairs. The answer is
/// no (docs/onnx.md): each test pins the concrete disagreement, so it fails the day Extensions stops disagreeing.
/// </summary>
public class ExtensionsTokenizerParityTests
{
    private const int MaxLength = 64;

    private static string BertVocabulary => ReferenceVectors.PathOf(ReferenceVectors.BertBaseUncasedVocabulary);

    private static readonly Lazy<WordPieceSequenceTokenizer> Ours = new(() =>
        WordPieceSequenceTokenizer.Create(BertVocabulary, new WordPieceSettings { LowerCase = true }));

    /// <summary>
    /// Single texts, [CLS] … [SEP], truncated: the BertTokenizer op agrees on 917 of 918 texts (at 64 tokens, and at 16, where
    /// most SST-2 sentences are cut) but strips only some accents: "Cửa Việt" (ử, ệ: a letter with two marks) becomes [UNK]
    /// pieces, where Hugging Face, llama.cpp's reference ids and we get "cua viet".
    /// </summary>
    [SharedTheory]
    [InlineData(MaxLength)]
    [InlineData(16)]
    public void BertTokenizerOpAgreesOnSingleTextsExceptLettersWithTwoAccents(int maxLength)
    {
        using var op = ExtensionsTokenizerOps.Bert(BertVocabulary, lowerCase: true, maxLength);
        var texts = SingleTexts().ToArray();

        var disagreeing = texts.Where(text => !Ids(Ours.Value.Encode(text, null, maxLength).InputIds).SequenceEqual(op.Run(text)["input_ids"].Values)).ToArray();

        Assert.Equal(918, texts.Length);
        Assert.Equal(["Cửa Việt"], disagreeing);
        var reference = ReferenceVectors.LlamaCppExpectedIds("ggml-vocab-bert-bge.gguf.out", ReferenceVectors.LlamaCppInputs().ToList().IndexOf("Cửa Việt"));
        Assert.Equal(reference, Ours.Value.EncodeWithoutSpecialTokens("Cửa Việt"));
        Assert.Contains(100L, op.Run("Cửa Việt")["input_ids"].Values); // [UNK]
        if (maxLength < 20) Assert.True(texts.Count(t => Ours.Value.EncodeWithoutSpecialTokens(t).Count > maxLength - 2) > 100, "too few texts were truncated to test truncation");
    }

    /// <summary>
    /// Pairs, [CLS] a [SEP] b [SEP] with token types 0…0 1…1: the op agrees on every MRPC dev pair that fits in 64 tokens, but it
    /// never truncates a pair (its pair path skips truncation), so each longer pair comes out whole, over the limit.
    /// </summary>
    [SharedFact]
    public void BertTokenizerOpDoesNotTruncatePairs()
    {
        using var op = ExtensionsTokenizerOps.Bert(BertVocabulary, lowerCase: true, MaxLength);
        int fitting = 0, tooLong = 0;
        foreach (var (first, second) in MrpcDevPairs())
        {
            var ours = Ours.Value.Encode(first, second, MaxLength);
            var extensions = op.Run(first, second);
            var untruncatedLength = Ours.Value.EncodeWithoutSpecialTokens(first).Count + Ours.Value.EncodeWithoutSpecialTokens(second).Count + 3;
            if (untruncatedLength <= MaxLength)
            {
                fitting++;
                Assert.Equal(Ids(ours.InputIds), extensions["input_ids"].Values);
                Assert.Equal(Ids(ours.TokenTypeIds), extensions["token_type_ids"].Values);
            }
            else
            {
                tooLong++;
                Assert.Equal(MaxLength, ours.InputIds.Length);
                Assert.Equal(untruncatedLength, extensions["input_ids"].Values.Length);
            }
        }
        // Every one of MRPC dev's 408 pairs (../shared/README.md) was checked, and both paths were exercised.
        Assert.Equal(408, fitting + tooLong);
        Assert.True(fitting > 0 && tooLong > 0, $"{fitting} pairs fit and {tooLong} were too long: one path went untested");
    }

    /// <summary>The op takes one text or one pair per run, so a graph around it cannot score a batch of rows.</summary>
    [SharedFact]
    public void BertTokenizerOpTakesOneRowPerRun()
    {
        using var op = ExtensionsTokenizerOps.Bert(BertVocabulary, lowerCase: true, MaxLength);

        var error = Assert.Throws<OnnxRuntimeException>(() => op.Run("a gorgeous film", "a dull mess", "fine"));

        Assert.Contains("only support one or two query", error.Message);
    }

    /// <summary>GPT-2 byte-level BPE (RoBERTa's algorithm), no special tokens: the GPT2Tokenizer op agrees with us on all 918 texts.</summary>
    [SharedFact]
    public void Gpt2TokenizerOpAgreesWithOurByteLevelBpe()
    {
        var vocabulary = ReferenceVectors.PathOf("llamacpp", "gpt2-vocab.from-gguf.json");
        var merges = ReferenceVectors.PathOf("llamacpp", "gpt2-merges.from-gguf.txt");
        var ours = ByteLevelBpeSequenceTokenizer.Create(vocabulary, merges, new ByteLevelBpeSettings
        {
            ClassificationToken = "<|endoftext|>", SeparatorToken = "<|endoftext|>", PaddingToken = "<|endoftext|>", UnknownToken = "<|endoftext|>", MaskToken = null,
        });
        using var op = ExtensionsTokenizerOps.ByteLevelBpe("GPT2Tokenizer", vocabulary, merges);

        Assert.All(SingleTexts(), text =>
        {
            var result = op.Run(text);
            var length = (int)result["attention_mask"].Values.Sum();
            Assert.Equal(Ids(ours.EncodeWithoutSpecialTokens(text)), result["input_ids"].Values.Take(length));
        });
    }

    /// <summary>
    /// RobertaTokenizer writes &lt;s&gt; text &lt;/s&gt; per string, padded with &lt;pad&gt;, but has no pair input (RoBERTa pairs
    /// are &lt;s&gt; a &lt;/s&gt;&lt;/s&gt; b &lt;/s&gt;), and truncating (padding_length) keeps max-length tokens before
    /// appending &lt;/s&gt;, so the extra one spills into the next row: row 1 loses its &lt;/s&gt;, row 2 starts with it.
    /// </summary>
    [SharedFact]
    public void RobertaTokenizerOpOverrunsItsRowWhenTruncating()
    {
        var folder = SharedData.PathOf("fixtures", "hf", "roberta");
        var ours = PretrainedTokenizers.Load(folder, ModelFamily.Roberta);
        const string Long = "Hello world this is a much longer text than eight tokens";
        const int Width = 8;
        using var op = ExtensionsTokenizerOps.ByteLevelBpe("RobertaTokenizer", Path.Combine(folder, "vocab.json"), Path.Combine(folder, "merges.txt"), Width);

        var ids = op.Run(Long, "a")["input_ids"].Values;

        var (bos, eos, pad) = (0L, 2L, (long)ours.PadTokenId);
        var oursShort = Ids(ours.Encode("a", null, Width).InputIds);
        Assert.Equal([bos, .. oursShort[1..^1], eos], oursShort);
        Assert.NotEqual(eos, ids[Width - 1]);
        Assert.Equal([eos, .. oursShort, .. Enumerable.Repeat(pad, Width - 1 - oursShort.Length)], ids[Width..]);
        Assert.Equal(eos, Ids(ours.Encode(Long, null, Width).InputIds)[^1]);
    }

    /// <summary>llama.cpp's 46 inputs, then the 872 SST-2 dev sentences.</summary>
    private static IEnumerable<string> SingleTexts()
        => ReferenceVectors.LlamaCppInputs().Concat(
            File.ReadLines(SharedData.PathOf("data", "glue", "sst2", "dev.tsv")).Skip(1).Select(line => line.Split('\t')[0].Trim()));

    private static IEnumerable<(string First, string Second)> MrpcDevPairs()
        => File.ReadLines(SharedData.PathOf("data", "glue", "mrpc", "dev.tsv")).Skip(1).Select(line => line.Split('\t')).Select(cells => (cells[3], cells[4]));

    private static long[] Ids(IEnumerable<int> ids) => ids.Select(id => (long)id).ToArray();
}
