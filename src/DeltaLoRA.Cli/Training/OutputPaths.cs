namespace DeltaLoRA.Cli.Training;

/// <summary>Where <c>train</c> writes: the model zip (--out), and beside it &lt;name&gt;.loss.csv and &lt;name&gt;.loss.png.</summary>
internal sealed record OutputPaths(string Model, string LossCsv, string LossPlot)
{
    /// <summary>
    /// The paths for --out, creating its folder when missing and checking that it can be written, so that a run does not
    /// train for nothing.
    /// </summary>
    public static OutputPaths For(string modelPath)
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
        var stem = Path.Combine(folder, Path.GetFileNameWithoutExtension(full));
        return new OutputPaths(full, stem + ".loss.csv", stem + ".loss.png");
    }

    /// <summary>
    /// Holds --out for this run: a second run with the same --out stops at once instead of overwriting this run's model
    /// (or having its own overwritten). The lock is released when the process ends, even when it is killed.
    /// </summary>
    public IDisposable Lock()
    {
        var lockFile = Path.Combine(Path.GetDirectoryName(Model)!, $".{Path.GetFileName(Model)}.lock");
        try
        {
            return new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException)
        {
            throw new UserErrorException($"--out '{Model}' is being written by another deltalora run (it holds '{lockFile}'); wait for it to finish or choose another --out.");
        }
    }
}
