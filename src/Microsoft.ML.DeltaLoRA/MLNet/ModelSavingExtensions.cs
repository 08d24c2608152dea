namespace Microsoft.ML;

/// <summary>
/// <c>MLContext.Model.Save(model, schema, path)</c> creates the file first and writes into it, so a failure part-way
/// (a full disk, a model that cannot be saved) leaves a truncated zip at <c>path</c>. This writes a temporary file beside
/// it and moves it into place only once the save succeeded.
/// </summary>
public static class ModelSavingExtensions
{
    /// <summary>
    /// Saves like <c>Save(model, inputSchema, filePath)</c>; on failure <paramref name="filePath"/> is left as it was. The temporary
    /// file (<c>.name.&lt;guid&gt;.tmp</c>) is held exclusively while written; those that a killed process left behind (no
    /// longer held by anyone) are deleted first.
    /// </summary>
    public static void SaveAtomically(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema inputSchema, string filePath)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrEmpty(filePath);
        var fullPath = Path.GetFullPath(filePath);
        var directory = Path.GetDirectoryName(fullPath)!;
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Cannot save the model to '{fullPath}': directory '{directory}' does not exist.");
        DeleteAbandonedTemporaries(fullPath);
        var temporary = TemporaryPrefix(fullPath) + $"{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
                catalog.Save(model, inputSchema, stream);
            File.Move(temporary, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    private static string TemporaryPrefix(string fullPath)
        => Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.");

    /// <summary>Our temporaries of <paramref name="fullPath"/> that no process holds: a save that was killed part-way.</summary>
    private static void DeleteAbandonedTemporaries(string fullPath)
    {
        var prefix = TemporaryPrefix(fullPath);
        foreach (var candidate in Directory.EnumerateFiles(Path.GetDirectoryName(fullPath)!, Path.GetFileName(prefix) + "*.tmp"))
        {
            var guid = candidate[prefix.Length..^".tmp".Length];
            if (guid.Length != 32 || !guid.All(char.IsAsciiHexDigitLower)) continue;
            try
            {
                using (new FileStream(candidate, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) { }
                File.Delete(candidate);
            }
            catch (IOException)
            {
                // Another save is writing it.
            }
        }
    }
}
