using DeltaLoRA.Cli.Output;

namespace DeltaLoRA.Cli.Training;

/// <summary>
/// The data files a run reads (--dataset, --test-dataset, --validation-dataset), so that nothing the run writes replaces
/// one of them: <c>train -d t.tsv --out t.tsv</c> would otherwise train on t.tsv and then overwrite it with the model.
/// </summary>
internal sealed record InputFiles(IReadOnlyList<(string Option, string Path)> Files)
{
    public static InputFiles Of(TrainSettings settings) => new(new (string Option, string? Path)[]
        {
            ("--dataset", settings.Dataset),
            ("--test-dataset", settings.TestDataset),
            ("--validation-dataset", settings.ValidationDataset),
        }.Where(f => f.Path is not null).Select(f => (f.Option, f.Path!)).ToArray());

    /// <summary>
    /// Throws when <paramref name="output"/>, a file the run writes for --out <paramref name="outPath"/>, is one of the input
    /// files, symbolic links followed and hard links recognised (<see cref="RealPath.Same"/>).
    /// </summary>
    public void RequireNotOverwritten(string outPath, string output, string role)
    {
        foreach (var (option, path) in Files)
        {
            if (!RealPath.Same(output, path)) continue;
            var clash = RealPath.Same(output, outPath)
                ? $"--out '{outPath}' is the {option} file '{path}'"
                : $"--out '{outPath}' would write its {role} ('{output}') over the {option} file '{path}'";
            throw new UserErrorException($"{clash}, which this run reads; choose another --out so that the data is not overwritten.");
        }
    }
}
