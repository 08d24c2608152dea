using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;

namespace Microsoft.ML.DeltaLoRA.Tests.Docs;

/// <summary>
/// The documentation a reader meets on GitHub: every relative link and image in README.md, docs/**/*.md, samples/README.md
/// and the package READMEs (src/**/PACKAGE.md) leads to a file that exists, every #anchor to a heading of its target, and
/// the front page stays short enough to read in five minutes.
/// </summary>
public class DocumentationLinkTests
{
    private const int FrontPageMaxLines = 250;

    [Fact]
    public void Every_relative_link_and_image_in_the_documentation_resolves()
    {
        var root = RepositoryRoot.Path;
        var files = DocumentationFiles(root);
        Assert.Contains(Path.Combine(root, "README.md"), files);
        Assert.Contains(files, f => f.StartsWith(Path.Combine(root, "docs") + Path.DirectorySeparatorChar, StringComparison.Ordinal));

        var links = files.SelectMany(f => MarkdownLinks.Read(f, File.ReadAllText(f))).ToList();
        var broken = links
            .Select(link => (link, problem: MarkdownLinks.Problem(link, root)))
            .Where(x => x.problem is not null)
            .Select(x => $"{Path.GetRelativePath(root, x.link.File)}:{x.link.Line}: {x.problem}")
            .ToList();

        Assert.True(links.Count > 0, "Expected the documentation to hold links.");
        Assert.True(broken.Count == 0, $"{broken.Count} of {links.Count} links do not resolve:\n{string.Join("\n", broken)}");
    }

    [Fact]
    public void The_README_is_at_most_250_lines()
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "README.md")).Length;
        Assert.True(lines <= FrontPageMaxLines, $"README.md has {lines} lines; the front page keeps to {FrontPageMaxLines} and the details go to docs/.");
    }

    [Fact]
    public void A_missing_file_a_missing_heading_and_a_link_outside_the_repository_are_reported()
    {
        var folder = Directory.CreateTempSubdirectory("deltalora-docs-");
        try
        {
            var root = folder.FullName;
            Directory.CreateDirectory(Path.Combine(root, "docs"));
            File.WriteAllText(Path.Combine(root, "docs", "guide.md"), "# Guide\n\n## The main job: `./build.sh demo`\n\n## Setup\n\n## Setup\n");
            var readme = Path.Combine(root, "README.md");
            File.WriteAllText(readme, string.Join("\n",
                "# Title",
                "[good](docs/guide.md) [good anchor](docs/guide.md#the-main-job-buildsh-demo) [repeat](docs/guide.md#setup-1)",
                "![good image](docs/guide.md \"a title\") [self](#title) [web](https://example.com/x.md) [folder](docs/)",
                "[missing](docs/missing.md) ![missing image](plots/loss.png) [bad anchor](docs/guide.md#install)",
                "[outside](../elsewhere.md) `[in code](nowhere.md)`",
                "```",
                "[in a fence](nowhere.md)",
                "```",
                "[ref]: docs/gone.md"));

            var problems = MarkdownLinks.Read(readme, File.ReadAllText(readme))
                .Select(link => (link.Target, Problem: MarkdownLinks.Problem(link, root)))
                .Where(x => x.Problem is not null)
                .Select(x => x.Target)
                .ToArray();

            Assert.Equal(["docs/missing.md", "plots/loss.png", "docs/guide.md#install", "../elsewhere.md", "docs/gone.md"], problems);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("The main job: `./build.sh demo`", "the-main-job-buildsh-demo")]
    [InlineData("Stage 2: the rank sweep", "stage-2-the-rank-sweep")]
    [InlineData("The library's folders", "the-librarys-folders")]
    [InlineData("λ and K on SST-2", "λ-and-k-on-sst-2")]
    [InlineData("Using [the trainer](docs/library.md)", "using-the-trainer")]
    public void Headings_get_GitHub_anchors(string heading, string anchor)
        => Assert.Equal(anchor, MarkdownLinks.Slug(heading));

    /// <summary>README.md, docs/**/*.md, samples/README.md when present, and every src/**/PACKAGE.md.</summary>
    private static List<string> DocumentationFiles(string root)
    {
        var files = new List<string> { Path.Combine(root, "README.md") };
        var docs = Path.Combine(root, "docs");
        if (Directory.Exists(docs)) files.AddRange(Directory.GetFiles(docs, "*.md", SearchOption.AllDirectories));
        var samples = Path.Combine(root, "samples", "README.md");
        if (File.Exists(samples)) files.Add(samples);
        files.AddRange(Directory.GetFiles(Path.Combine(root, "src"), "PACKAGE.md", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")));
        files.Sort(StringComparer.Ordinal);
        return files;
    }
}
