using System.Globalization;
using DeltaLoRA.Bench.Reporting;
using DeltaLoRA.Bench.Study;

namespace DeltaLoRA.Bench.Spectrum;

/// <summary>
/// singular-values.csv: every singular value of every adapted matrix's change W_eff,T − W_0 of every spectrum run, keyed by the
/// run's <see cref="RunSpec.Key"/> (largest first, index from 1). A run interrupted while being written is replaced when made again.
/// </summary>
internal sealed class SingularValueLog
{
    public const string FileName = "singular-values.csv";
    private static readonly string[] Header = ["run", "task", "method", "lr", "seed", "steps", "layer", "projection", "index", "singular_value"];
    private readonly Dictionary<string, Dictionary<AdaptedMatrix, List<double>>> _byKey = new(StringComparer.Ordinal);

    private SingularValueLog(string path) => Path = path;

    public string Path { get; }

    public static SingularValueLog Open(string path)
    {
        var log = new SingularValueLog(path);
        foreach (var (f, _) in Csv.ReadOrCreate(path, Header, "singular-values"))
        {
            var matrix = new AdaptedMatrix(int.Parse(f[6], CultureInfo.InvariantCulture), f[7]);
            if (!log._byKey.TryGetValue(f[0], out var matrices)) log._byKey[f[0]] = matrices = [];
            if (!matrices.TryGetValue(matrix, out var values)) matrices[matrix] = values = [];
            if (int.Parse(f[8], CultureInfo.InvariantCulture) == 1) values.Clear(); // a new attempt of the same run
            values.Add(double.Parse(f[9], CultureInfo.InvariantCulture));
        }
        return log;
    }

    /// <summary>The weight changes of a run, by matrix; empty when the run is not in the file.</summary>
    public IReadOnlyDictionary<AdaptedMatrix, WeightChange> For(RunSpec spec)
        => _byKey.TryGetValue(spec.Key, out var matrices)
            ? matrices.ToDictionary(p => p.Key, p => new WeightChange(p.Value))
            : new Dictionary<AdaptedMatrix, WeightChange>();

    public void Append(RunSpec spec, IReadOnlyDictionary<AdaptedMatrix, WeightChange> changes)
    {
        using var writer = File.AppendText(Path);
        var stored = new Dictionary<AdaptedMatrix, List<double>>();
        foreach (var (matrix, change) in changes.OrderBy(p => p.Key.Layer).ThenBy(p => p.Key.Projection, StringComparer.Ordinal))
        {
            for (int i = 0; i < change.SingularValues.Count; i++)
            {
                writer.Write(Csv.Line([spec.Key, spec.Task.Name, spec.Method.ToString(), RunSpec.Format(spec.LearningRate),
                    spec.Seed.ToString(CultureInfo.InvariantCulture), spec.Steps.ToString(CultureInfo.InvariantCulture),
                    matrix.Layer.ToString(CultureInfo.InvariantCulture), matrix.Projection, (i + 1).ToString(CultureInfo.InvariantCulture),
                    change.SingularValues[i].ToString("R", CultureInfo.InvariantCulture)]));
                writer.Write('\n');
            }
            stored[matrix] = change.SingularValues.ToList();
        }
        _byKey[spec.Key] = stored;
    }
}
