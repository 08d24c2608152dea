namespace DeltaLoRA.Cli.Training;

/// <summary>
/// The checks on --out that <c>train</c> and <c>sweep</c> share, made before any work: a file name (not a folder), in a
/// folder that can be created and written, and no file the run writes is one of the data files it reads.
/// </summary>
internal static class OutFile
{
    /// <summary>The full path of --out, or a one-line error when it cannot name a file.</summary>
    public static string FullPath(string modelPath)
    {
        if (string.IsNullOrWhiteSpace(modelPath)) throw new UserErrorException("--out must name the model file to write, for example model.zip.");
        var full = Path.GetFullPath(modelPath);
        if (Directory.Exists(full)) throw new UserErrorException($"--out '{modelPath}' is a folder; name the model file to write, for example {Path.Combine(modelPath, "model.zip")}.");
        var folder = Path.GetDirectoryName(full)!;
        for (var ancestor = folder; ancestor is not null; ancestor = Path.GetDirectoryName(ancestor))
        {
            if (File.Exists(ancestor))
                throw new UserErrorException($"--out '{modelPath}': '{ancestor}' is a file, so it cannot hold the folder '{folder}'; choose another --out.");
        }
        return full;
    }

    /// <summary>
    /// Refuses <paramref name="outputs"/> (the files written for --out <paramref name="modelPath"/>, each with what it holds)
    /// when one is an input file, then creates their folder and checks it can be written. Returns the folders it created,
    /// deepest first, for <see cref="Lock"/> to remove when the run writes nothing into them.
    /// </summary>
    public static IReadOnlyList<string> Prepare(string modelPath, InputFiles inputs, params (string Path, string Role)[] outputs)
    {
        foreach (var (path, role) in outputs) inputs.RequireNotOverwritten(modelPath, path, role);
        var folder = Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        var created = new List<string>();
        for (var missing = folder; missing is not null && !Directory.Exists(missing); missing = Path.GetDirectoryName(missing)) created.Add(missing);
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, $".deltalora-write-check.{Guid.NewGuid():N}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            RemoveIfEmpty(created);
            throw new UserErrorException($"--out '{modelPath}': the folder '{folder}' cannot be written ({e.Message}); choose another --out.");
        }
        return created;
    }

    /// <summary>
    /// Holds <paramref name="model"/> for this run: a second run with the same --out stops at once instead of overwriting
    /// this run's model (or having its own overwritten). The lock is released when the process ends, even when it is killed.
    /// Released, it removes the <paramref name="created"/> folders that are still empty: a run that failed leaves none.
    /// </summary>
    public static IDisposable Lock(string model, IReadOnlyList<string> created)
    {
        var lockFile = Path.Combine(Path.GetDirectoryName(model)!, $".{Path.GetFileName(model)}.lock");
        try
        {
            return new Held(new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose), created);
        }
        catch (IOException)
        {
            RemoveIfEmpty(created);
            throw new UserErrorException($"--out '{model}' is being written by another deltalora run (it holds '{lockFile}'); wait for it to finish or choose another --out.");
        }
    }

    /// <summary>Removes the folders, deepest first, up to the first that is not empty.</summary>
    private static void RemoveIfEmpty(IReadOnlyList<string> folders)
    {
        try
        {
            foreach (var folder in folders)
            {
                if (Directory.EnumerateFileSystemEntries(folder).Any()) return;
                Directory.Delete(folder);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Taken by someone else meanwhile: theirs to keep.
        }
    }

    private sealed class Held(FileStream lockFile, IReadOnlyList<string> created) : IDisposable
    {
        public void Dispose()
        {
            lockFile.Dispose();
            RemoveIfEmpty(created);
        }
    }
}
