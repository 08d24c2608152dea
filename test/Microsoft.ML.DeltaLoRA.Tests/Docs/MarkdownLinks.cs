using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Microsoft.ML.DeltaLoRA.Tests.Docs;

/// <summary>A link or image target written in a Markdown file, with the line it is on.</summary>
internal sealed record MarkdownLink(string File, int Line, string Target);

/// <summary>
/// Reads the relative links of Markdown files and checks them the way GitHub renders them: a path relative to the file
/// (or to the repository root when it starts with '/'), and an optional #anchor that must be a heading of the target.
/// Fenced code blocks and inline code are not Markdown, so links inside them are not read.
/// </summary>
internal static partial class MarkdownLinks
{
    /// <summary>Every link and image target outside code, in order: inline <c>[text](target)</c>, <c>![alt](target)</c>,
    /// reference definitions <c>[name]: target</c> and HTML <c>src</c>/<c>href</c> attributes.</summary>
    public static IEnumerable<MarkdownLink> Read(string file, string text)
    {
        foreach (var (lineNumber, line) in ProseLines(text))
        {
            var prose = InlineCode().Replace(line, "");
            foreach (Match m in InlineLink().Matches(prose)) yield return new(file, lineNumber, CleanTarget(m.Groups["target"].Value));
            foreach (Match m in ReferenceDefinition().Matches(prose)) yield return new(file, lineNumber, CleanTarget(m.Groups["target"].Value));
            foreach (Match m in HtmlAttribute().Matches(prose)) yield return new(file, lineNumber, m.Groups["target"].Value);
        }
    }

    /// <summary>The problem with one link, or null when it resolves. External links (a scheme such as https:) are not checked.</summary>
    public static string? Problem(MarkdownLink link, string repositoryRoot)
    {
        if (link.Target.Length == 0) return "an empty link target";
        if (HasScheme().IsMatch(link.Target)) return null;

        var hash = link.Target.IndexOf('#');
        var pathPart = Uri.UnescapeDataString(hash < 0 ? link.Target : link.Target[..hash]);
        var anchor = hash < 0 ? null : Uri.UnescapeDataString(link.Target[(hash + 1)..]);

        var root = Path.GetFullPath(repositoryRoot);
        var target = pathPart.Length == 0
            ? link.File
            : Path.GetFullPath(pathPart.StartsWith('/')
                ? Path.Combine(root, pathPart.TrimStart('/'))
                : Path.Combine(Path.GetDirectoryName(link.File)!, pathPart));
        if (target != root && !target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)) return $"'{link.Target}' points outside the repository";
        if (!File.Exists(target) && !Directory.Exists(target))
            return $"'{link.Target}' does not exist (looked for {Path.GetRelativePath(root, target)})";
        if (anchor is null) return null;
        if (!target.EndsWith(".md", StringComparison.OrdinalIgnoreCase) || !File.Exists(target))
            return $"'{link.Target}' has an anchor, but its target is not a Markdown file";
        var anchors = HeadingAnchors(File.ReadAllText(target));
        return anchors.Contains(anchor)
            ? null
            : $"'{link.Target}': no heading of {Path.GetRelativePath(root, target)} has the anchor #{anchor} (it has: {string.Join(", ", anchors.Select(a => "#" + a))})";
    }

    /// <summary>The anchors GitHub gives the headings of a Markdown file: each slug, and slug-1, slug-2, … for repeats.</summary>
    public static IReadOnlyList<string> HeadingAnchors(string text)
    {
        var anchors = new List<string>();
        var seen = new Dictionary<string, int>();
        foreach (var (_, line) in ProseLines(text))
        {
            var heading = AtxHeading().Match(line);
            if (!heading.Success) continue;
            var slug = Slug(heading.Groups["title"].Value);
            seen[slug] = seen.TryGetValue(slug, out var count) ? count + 1 : 0;
            anchors.Add(seen[slug] == 0 ? slug : $"{slug}-{seen[slug]}");
        }
        return anchors;
    }

    /// <summary>GitHub's heading slug: the heading's text (links read as their text), lower case, with every character
    /// that is not a letter, digit, space, hyphen or underscore removed and each space turned into a hyphen.</summary>
    public static string Slug(string heading)
    {
        var text = InlineLink().Replace(heading, m => m.Groups["text"].Value).Trim().ToLowerInvariant();
        var slug = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c == ' ') slug.Append('-');
            else if (c is '-' or '_' || char.IsLetterOrDigit(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark)
                slug.Append(c);
        }
        return slug.ToString();
    }

    /// <summary>The lines outside fenced code blocks (``` or ~~~), numbered from 1.</summary>
    private static IEnumerable<(int Line, string Text)> ProseLines(string text)
    {
        string? fence = null;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            var trimmed = line.TrimStart();
            if (fence is null && (trimmed.StartsWith("```") || trimmed.StartsWith("~~~"))) fence = trimmed[..3];
            else if (fence is not null && trimmed.StartsWith(fence)) fence = null;
            else if (fence is null) yield return (i + 1, line);
        }
    }

    /// <summary>A target without its optional title (<c>(path "title")</c>) and angle brackets (<c>(&lt;a b.md&gt;)</c>).</summary>
    private static string CleanTarget(string target)
    {
        target = target.Trim();
        if (target.StartsWith('<') && target.IndexOf('>') is > 0 and var end) return target[1..end];
        var space = target.IndexOf(' ');
        return space < 0 ? target : target[..space];
    }

    [GeneratedRegex(@"`+[^`]*`+")]
    private static partial Regex InlineCode();

    // The text may hold one level of brackets, as in [![alt](image.png)](page.md), which is read as its outer link.
    [GeneratedRegex(@"!?\[(?<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]\((?<target>[^()\s]*(?:\s+""[^""]*"")?|<[^>]*>)\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex(@"^\s{0,3}\[[^\]]+\]:\s*(?<target>\S+)")]
    private static partial Regex ReferenceDefinition();

    [GeneratedRegex(@"\b(?:src|href)\s*=\s*""(?<target>[^""]*)""", RegexOptions.IgnoreCase)]
    private static partial Regex HtmlAttribute();

    [GeneratedRegex(@"^[a-zA-Z][a-zA-Z0-9+.-]*:")]
    private static partial Regex HasScheme();

    [GeneratedRegex(@"^\s{0,3}#{1,6}\s+(?<title>.*?)\s*#*\s*$")]
    private static partial Regex AtxHeading();
}
