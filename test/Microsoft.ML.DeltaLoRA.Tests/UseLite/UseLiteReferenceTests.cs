using System.Diagnostics;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.UseLite;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Tests.UseLite;

/// <summary>
/// Our tokenizer and encoder against the original USE-Lite graph running on TF.js (an implementation nobody here wrote).
/// </summary>
public class UseLiteReferenceTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-4f;

    [NodeReferenceFact]
    public void TokenIdsAndSentenceVectorsMatchTheTfjsGraph()
    {
        var clock = Stopwatch.StartNew();
        string modelDirectory = UseLiteTestEnvironment.EnsureModel();
        var texts = ReferenceTexts();
        var reference = UseLiteNodeReference.Embed(modelDirectory, texts);
        output.WriteLine($"TF.js reference ({reference.Backend} backend): {texts.Count} texts in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(texts.Count, reference.Ids.Length);

        var tokenizer = UseLiteTokenizer.FromVocabularyFile(Path.Combine(modelDirectory, "vocab.json"));
        for (int i = 0; i < texts.Count; i++)
            Assert.True(reference.Ids[i].SequenceEqual(tokenizer.EncodeWithoutSpecialTokens(texts[i])),
                $"Token ids differ for text {i} {Show(texts[i])}: reference [{string.Join(", ", reference.Ids[i])}], ours [{string.Join(", ", tokenizer.EncodeWithoutSpecialTokens(texts[i]))}]");
        Assert.Contains(reference.Ids, ids => ids.Length > UseLiteTokenizer.MaxSequenceLength);
        Assert.Contains(reference.Ids, ids => ids.Length == 0);
        Assert.Contains(reference.Ids, ids => ids.Contains(UnigramVocabulary.UnknownId));

        using var encoder = UseLiteEncoder.FromPretrained(modelDirectory);
        encoder.eval();
        var sequences = texts.Select(t => tokenizer.Encode(t, null, 512)).ToList();
        float[][] batched = Embed(encoder, sequences);

        float worst = 0;
        int worstText = -1;
        for (int i = 0; i < texts.Count; i++)
        {
            Assert.Equal(512, reference.Embeddings[i].Length);
            float difference = MaxAbsDifference(reference.Embeddings[i], batched[i]);
            if (difference > worst) (worst, worstText) = (difference, i);
        }
        output.WriteLine($"max |ours (one batch) - TF.js| = {worst:E2} (text {worstText}); tolerance {Tolerance:E0}");
        Assert.True(worst <= Tolerance, $"Sentence vector of text {worstText} {Show(texts[worstText])} differs from TF.js by {worst:E3}.");

        float worstSingle = 0;
        for (int i = 0; i < texts.Count; i++)
            worstSingle = Math.Max(worstSingle, MaxAbsDifference(batched[i], Embed(encoder, [sequences[i]])[0]));
        output.WriteLine($"max |ours one at a time - ours in one batch| = {worstSingle:E2}; total {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(worstSingle <= 1e-5f, $"Padding changes a sentence vector by {worstSingle:E3}.");
    }

    private static float[][] Embed(UseLiteEncoder encoder, IReadOnlyList<EncodedSequence> sequences)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var batch = BatchCollator.Collate(sequences, padTokenId: 0, withTokenTypeIds: false);
        var vectors = encoder.forward(batch);
        var flat = vectors.data<float>().ToArray();
        return Enumerable.Range(0, sequences.Count).Select(i => flat.AsSpan(i * 512, 512).ToArray()).ToArray();
    }

    private static float MaxAbsDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    private static string Show(string text) => System.Text.Json.JsonSerializer.Serialize(text.Length > 60 ? text[..60] + "…" : text);

    /// <summary>
    /// Varied texts; the empty text is not last, because the reference drops trailing rows without tokens.
    /// </summary>
    private static List<string> ReferenceTexts()
    {
        var texts = new List<string>
        {
            "",
            "Hello world.",
            "The quick brown fox jumps over the lazy dog.",
            "!!!???...,,,;;",
            "   leading and trailing spaces   ",
            "multiple    internal     spaces",
            "tab\tseparated\tvalues\nand a newline",
            "naïve café résumé — déjà vu",
            "ﬁne ﬂour, ½ cup, x² and ③ need NFKC",
            "non\u00A0breaking\u00A0spaces and ｆｕｌｌｗｉｄｔｈ letters",
            "Ünïcödé: 日本語のテキスト, 中文, 한국어, Привет мир, Γειά σου, مرحبا",
            "Emoji 😀🎉👍 and symbols ©®™ §",
            "Numbers 3.14159, 2,718 and 1e-10; phone 555-0199; the year 1999",
            "ALL CAPS SHOUTING versus lower case whispering",
            "Smileys :-) :( and times 10:00, 12:30 and a scheme http://",
            "a",
            " ",
            "I can't believe it's not butter!",
            string.Join(" ", Enumerable.Range(0, 90).Select(i => $"word{i}")),
            string.Concat(Enumerable.Repeat("It was the best of times, it was the worst of times. ", 12)),
        };
        var sst2 = File.ReadLines(SharedData.PathOf("data", "glue", "sst2", "dev.tsv")).Skip(1)
            .Select(line => line.Split('\t')[0]).Where((_, index) => index % 58 == 0).Take(15);
        texts.AddRange(sst2);
        return texts;
    }
}
