namespace DeltaLoRA.Cli.Training;

/// <summary>Where <c>train</c> writes: the model zip (--out), and beside it &lt;name&gt;.loss.csv and &lt;name&gt;.loss.png.</summary>
internal sealed record OutputPaths(string Model, string LossCsv, string LossPlot, IReadOnlyList<string> CreatedFolders)
{
    /// <summary>
    /// The paths for --out, checked not to be an input of the run, with its folder created when missing and checked to be
    /// writable, so that a run does not train for nothing.
    /// </summary>
    public static OutputPaths For(string modelPath, InputFiles inputs)
    {
        var model = OutFile.FullPath(modelPath);
        var stem = Path.ChangeExtension(model, null);
        var (csv, png) = (stem + ".loss.csv", stem + ".loss.png");
        var created = OutFile.Prepare(modelPath, inputs, (model, "model"), (csv, "loss curve"), (png, "loss plot"));
        return new OutputPaths(model, csv, png, created);
    }

    /// <summary>
    /// Set when loss files beside --out exist but its model does not: they belong to another model whose name has the same
    /// stem (m.zip and m.bin both write m.loss.csv), and this run replaces them, as it replaces --out itself.
    /// </summary>
    public string? SharedStemWarning => !File.Exists(Model) && (File.Exists(LossCsv) || File.Exists(LossPlot))
        ? $"'{LossCsv}' and '{LossPlot}' exist without '{Model}': another model's, with the same name stem? This run replaces them."
        : null;

    /// <summary>Holds --out for this run (<see cref="OutFile.Lock"/>).</summary>
    public IDisposable Lock() => OutFile.Lock(Model, CreatedFolders);
}
