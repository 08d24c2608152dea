using System.Globalization;
using System.Text;
using DeltaLoRA.Bench.Reporting;

namespace DeltaLoRA.Bench.Study;

/// <summary>
/// losses.csv: the training loss of every optimizer step of every fine-tuning run, keyed by the run's <see cref="RunSpec.Key"/>,
/// so that the loss plots can be drawn again from a resumed study. A run that was interrupted and made again keeps its last attempt.
/// </summary>
internal sealed class LossLog
{
    private static readonly string[] Header = ["run", "task", "method", "phase", "lr", "seed", "step", "loss"];
    private readonly Dictionary<string, List<LossPoint>> _byKey = new(StringComparer.Ordinal);

    private LossLog(string path) => Path = path;

    public string Path { get; }

    public static LossLog Open(string path)
    {
        var log = new LossLog(path);
        foreach (var (fields, _) in Csv.ReadOrCreate(path, Header, "losses"))
        {
            var point = new LossPoint(int.Parse(fields[6], CultureInfo.InvariantCulture), double.Parse(fields[7], CultureInfo.InvariantCulture));
            var points = log.Points(fields[0]);
            if (points.Count > 0 && point.Step <= points[^1].Step) points.Clear(); // a new attempt of the same run
            points.Add(point);
        }
        return log;
    }

    public IReadOnlyList<LossPoint> For(RunSpec spec) => _byKey.TryGetValue(spec.Key, out var points) ? points : [];

    public void Append(RunSpec spec, IReadOnlyList<LossPoint> losses)
    {
        if (losses.Count == 0) return;
        var text = new StringBuilder();
        foreach (var point in losses)
        {
            text.Append(Csv.Line([spec.Key, spec.Task.Name, spec.Method.ToString(), spec.Phase, RunSpec.Format(spec.LearningRate),
                spec.Seed.ToString(CultureInfo.InvariantCulture), point.Step.ToString(CultureInfo.InvariantCulture),
                point.Loss.ToString("R", CultureInfo.InvariantCulture)])).Append('\n');
        }
        File.AppendAllText(Path, text.ToString());
        var stored = Points(spec.Key);
        stored.Clear();
        stored.AddRange(losses);
    }

    private List<LossPoint> Points(string key)
    {
        if (!_byKey.TryGetValue(key, out var points)) _byKey[key] = points = [];
        return points;
    }
}
