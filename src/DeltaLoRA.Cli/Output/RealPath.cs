namespace DeltaLoRA.Cli.Output;

/// <summary>
/// The path a file is really at, every symbolic link on the way followed (the folders' and the file's own), like POSIX
/// realpath but for paths that need not exist: the part that does not exist is kept as written.
/// </summary>
internal static class RealPath
{
    /// <summary>More links than this on one path is a loop (Linux gives up at 40 too).</summary>
    private const int MaxLinks = 40;

    public static string Of(string path)
    {
        var pending = new Stack<string>(Parts(Path.GetFullPath(path)).Reverse());
        var resolved = Path.GetPathRoot(Path.GetFullPath(path))!;
        int links = 0;
        while (pending.Count > 0)
        {
            var next = Path.Combine(resolved, pending.Pop());
            var target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                resolved = next;
                continue;
            }
            if (++links > MaxLinks) throw new IOException($"'{path}' has a loop of symbolic links.");
            // The link's target takes its place; a relative target is read from the link's folder.
            var full = Path.GetFullPath(target, resolved);
            foreach (var part in Parts(full).Reverse()) pending.Push(part);
            resolved = Path.GetPathRoot(full)!;
        }
        return resolved;
    }

    /// <summary>
    /// Whether two paths name the same file once links are followed (ignoring case where the file system usually does), or,
    /// where both exist, are hard links of one file (same device and inode, on Linux).
    /// </summary>
    public static bool Same(string a, string b)
        => string.Equals(Of(a), Of(b), OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal)
            || FileIdentity.Of(a) is { } first && FileIdentity.Of(b) == first;

    private static string[] Parts(string fullPath)
        => fullPath[Path.GetPathRoot(fullPath)!.Length..].Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
}
