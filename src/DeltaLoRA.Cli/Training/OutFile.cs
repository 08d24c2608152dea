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
    /// when one is an input file, then creates their folder and checks it can be written.
    /// </summary>
    public static void Prepare(string modelPath, InputFiles inputs, params (string Path, string Role)[] outputs)
    {
        foreach (var (path, role) in outputs) inputs.RequireNotOverwritten(modelPath, path, role);
        var folder = Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, $".deltalora-write-check.{Guid.NewGuid():N}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserErrorException($"--out '{modelPath}': the folder '{folder}' cannot be written ({e.Message}); choose another --out.");
        }
    }

    /// <summary>
    /// Holds <paramref name="model"/> for this run: a second run with the same --out stops at once instead of overwriting
    /// this run's model (or having its own overwritten). The lock is released when the process ends, even when it is killed.
    /// </summary>
    public static IDisposable Lock(string model)
    {
        var lockFile = Path.Combine(Path.GetDirectoryName(model)!, $".{Path.GetFileName(model)}.lock");
        try
        {
            return new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException)
        {
            throw new UserErrorException($"--out '{model}' is being written by another deltalora run (it holds '{lockFile}'); wait for it to finish or choose another --out.");
        }
    }
}
