namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>
/// The temporary folder a saved model's architecture files are written to while the model is rebuilt from them (the config
/// and tokenizer readers take a folder), deleted when done. A process killed while loading leaves it behind, so each new
/// one first deletes those that no process uses any more. In use means holding its lock file exclusively: the operating
/// system lets go of the lock when the process ends, however it ends, which a process id (reused, or from another PID
/// namespace sharing the temp folder) could not tell.
/// </summary>
internal sealed class ModelUnpackFolder : IDisposable
{
    public const string NamePrefix = "deltalora-model-";
    public const string LockFileName = ".in-use";

    /// <summary>
    /// How old an unlocked folder must be to be deleted: a folder is created a moment before its lock, and folders of versions
    /// that took no lock are unlocked while in use, for the seconds a load takes.
    /// </summary>
    public static readonly TimeSpan UnlockedAge = TimeSpan.FromDays(1);

    /// <summary>How old a lock file no one holds must be to be deleted: its creator takes it a moment after creating it.</summary>
    public static readonly TimeSpan ReleasedLockAge = TimeSpan.FromMinutes(1);

    private readonly FileStream _lock;

    private ModelUnpackFolder(string path, FileStream lockFile)
    {
        Path = path;
        _lock = lockFile;
    }

    public string Path { get; }

    public static ModelUnpackFolder Create()
    {
        DeleteAbandoned();
        var folder = Directory.CreateTempSubdirectory(NamePrefix);
        try
        {
            var lockFile = new FileStream(System.IO.Path.Combine(folder.FullName, LockFileName), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
            return new ModelUnpackFolder(folder.FullName, lockFile);
        }
        catch
        {
            folder.Delete(recursive: true);
            throw;
        }
    }

    public void Dispose()
    {
        _lock.Dispose();
        Directory.Delete(Path, recursive: true);
    }

    /// <summary>Deletes the unpack folders in the temp folder that no process holds (see <see cref="UnlockedAge"/>).</summary>
    public static void DeleteAbandoned()
    {
        var now = DateTime.UtcNow;
        foreach (var folder in Directory.EnumerateDirectories(System.IO.Path.GetTempPath(), NamePrefix + "*"))
        {
            try
            {
                var lockFile = System.IO.Path.Combine(folder, LockFileName);
                if (File.Exists(lockFile))
                {
                    if (now - File.GetLastWriteTimeUtc(lockFile) < ReleasedLockAge) continue;
                    using (new FileStream(lockFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) { } // throws while its process lives
                }
                else if (now - Directory.GetLastWriteTimeUtc(folder) < UnlockedAge) continue;
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // In use, or another user's: left alone.
            }
        }
    }
}
