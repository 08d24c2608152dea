namespace Microsoft.ML.DeltaLoRA.Export;

/// <summary>
/// Writes an export folder all at once: the files go into a hidden staging folder beside the target, which is renamed to the
/// target only when every file is complete. A target that exists is refused (an export never mixes its files with others'),
/// and on any error the staging folder is deleted, so there is never a partial export.
/// </summary>
internal static class ExportFolder
{
    /// <summary>Creates <paramref name="folder"/> holding what <paramref name="write"/> puts into the staging folder it is given.</summary>
    /// <exception cref="IOException"><paramref name="folder"/> exists already, or its parent does not.</exception>
    public static void Write(string folder, Action<string> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(write);
        var target = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        RequireAbsent(target);
        var parent = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(parent))
            throw new DirectoryNotFoundException($"The export folder '{folder}' cannot be created: its parent folder '{parent}' does not exist.");

        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(staging);
        try
        {
            write(staging);
            RequireAbsent(target); // another process may have taken the name while the files were written
            Directory.Move(staging, target);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    private static void RequireAbsent(string target)
    {
        if (Directory.Exists(target) || File.Exists(target))
            throw new IOException($"The export folder '{target}' exists already; choose a new folder (an export is never written over another).");
    }
}
