namespace DeltaLoRA.Cli.Training;

/// <summary>Where <c>train</c> writes: the model zip (--out), and beside it &lt;name&gt;.loss.csv and &lt;name&gt;.loss.png.</summary>
public sealed record OutputPaths(string Model, string LossCsv, string LossPlot)
{
    /// <summary>The paths for --out, creating its folder when missing.</summary>
    public static OutputPaths For(string modelPath)
    {
        if (string.IsNullOrWhiteSpace(modelPath)) throw new UserErrorException("--out must name the model file to write, for example model.zip.");
        var full = Path.GetFullPath(modelPath);
        if (Directory.Exists(full)) throw new UserErrorException($"--out '{modelPath}' is a folder; name the model file to write, for example {Path.Combine(modelPath, "model.zip")}.");
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var stem = Path.Combine(Path.GetDirectoryName(full)!, Path.GetFileNameWithoutExtension(full));
        return new OutputPaths(full, stem + ".loss.csv", stem + ".loss.png");
    }
}
