namespace DeltaLoRA.Cli.Output;

/// <summary>Writes a file through a temporary file beside it, moved into place only once complete: never a half-written file.</summary>
internal static class AtomicFile
{
    /// <param name="path">The file to write.</param>
    /// <param name="write">Writes the content to the path it is given (the temporary file, with the same extension).</param>
    public static void Write(string path, Action<string> write)
    {
        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileNameWithoutExtension(full)}.{Guid.NewGuid():N}.tmp{Path.GetExtension(full)}");
        try
        {
            write(temporary);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
