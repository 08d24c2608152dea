namespace Microsoft.ML.DeltaLoRA;

/// <summary>
/// <c>MLContext.Model.Save(model, schema, path)</c> creates the file first and writes into it, so a failure part-way
/// (a full disk, a model that cannot be saved) leaves a truncated zip at <c>path</c>. This writes a temporary file beside
/// it and moves it into place only once the save succeeded.
/// </summary>
public static class ModelSavingExtensions
{
    /// <summary>Saves like <c>Save(model, inputSchema, filePath)</c>; on failure <paramref name="filePath"/> is left as it was.</summary>
    public static void SaveAtomically(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema inputSchema, string filePath)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrEmpty(filePath);
        var fullPath = Path.GetFullPath(filePath);
        var directory = Path.GetDirectoryName(fullPath)!;
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Cannot save the model to '{fullPath}': directory '{directory}' does not exist.");
        var temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            catalog.Save(model, inputSchema, temporary);
            File.Move(temporary, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
