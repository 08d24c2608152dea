namespace DeltaLoRA.Cli.Training;

/// <summary>Where <c>train</c> writes: the model zip (--out), and beside it &lt;name&gt;.loss.csv and &lt;name&gt;.loss.png.</summary>
internal sealed record OutputPaths(string Model, string LossCsv, string LossPlot)
{
    /// <summary>
    /// The paths for --out, checked not to be an input of the run, with its folder created when missing and checked to be
    /// writable, so that a run does not train for nothing.
    /// </summary>
    public static OutputPaths For(string modelPath, InputFiles inputs)
    {
        var model = OutFile.FullPath(modelPath);
        var stem = Path.ChangeExtension(model, null);
        var paths = new OutputPaths(model, stem + ".loss.csv", stem + ".loss.png");
        OutFile.Prepare(modelPath, inputs, (paths.Model, "model"), (paths.LossCsv, "loss curve"), (paths.LossPlot, "loss plot"));
        return paths;
    }

    /// <summary>Holds --out for this run (<see cref="OutFile.Lock"/>).</summary>
    public IDisposable Lock() => OutFile.Lock(Model);
}
