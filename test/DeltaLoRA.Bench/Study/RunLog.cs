using System.Globalization;
using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Metrics;
using DeltaLoRA.Bench.Reporting;

namespace DeltaLoRA.Bench.Study;

/// <summary>
/// runs.csv: one line per finished run, appended and flushed as soon as the run ends, so that a study stopped at any point
/// resumes by skipping the runs already there (<see cref="TryGet"/>).
/// </summary>
internal sealed class RunLog
{
    public static readonly string[] Header =
    [
        "task", "method", "phase", "lr", "seed", "lambda", "k", "steps", "warmup", "train_rows", "val_rows", "dev_rows",
        "val_score", "dev_score", "accuracy", "f1", "mcc", "pearson", "spearman", "train_seconds", "eval_seconds", "targets", "model",
    ];

    private readonly Dictionary<string, RunRecord> _byKey = new(StringComparer.Ordinal);

    private RunLog(string path) => Path = path;

    public string Path { get; }

    public IReadOnlyCollection<RunRecord> Records => _byKey.Values;

    /// <summary>Reads the runs already in <paramref name="path"/>, or starts the file with its header.</summary>
    public static RunLog Open(string path)
    {
        var log = new RunLog(path);
        foreach (var (fields, lineNumber) in Csv.ReadOrCreate(path, Header, "runs"))
        {
            var record = Parse(fields, path, lineNumber);
            log._byKey[record.Spec.Key] = record;
        }
        return log;
    }

    public bool TryGet(RunSpec spec, out RunRecord record) => _byKey.TryGetValue(spec.Key, out record!);

    public void Append(RunRecord record)
    {
        File.AppendAllText(Path, Csv.Line(Format(record)) + "\n");
        _byKey[record.Spec.Key] = record;
    }

    public static string[] Format(RunRecord r)
    {
        var s = r.Spec;
        return
        [
            s.Task.Name, s.Method.ToString(), s.Phase, RunSpec.Format(s.LearningRate), Int(s.Seed), RunSpec.Format(s.UpdateRatio),
            s.StartSteps is int k ? Int(k) : "", Int(s.Steps), Int(r.WarmupSteps), Int(s.TrainRows), Int(s.ValidationRows), Int(s.DevRows),
            Number(r.ValidationScore), Number(r.Dev?.Score), Number(r.Dev?.Accuracy), Number(r.Dev?.F1), Number(r.Dev?.Mcc),
            Number(r.Dev?.Pearson), Number(r.Dev?.Spearman), r.TrainSeconds.ToString("F2", CultureInfo.InvariantCulture),
            r.EvalSeconds.ToString("F2", CultureInfo.InvariantCulture), s.Targets, s.Model,
        ];
    }

    private static RunRecord Parse(string[] f, string path, int lineNumber)
    {
        try
        {
            var spec = new RunSpec(GlueTask.Parse(f[0]), StudyMethods.Parse(f[1]), f[2], OptionalDouble(f[3]), int.Parse(f[4], CultureInfo.InvariantCulture),
                OptionalDouble(f[5]), f[6].Length == 0 ? null : int.Parse(f[6], CultureInfo.InvariantCulture), int.Parse(f[7], CultureInfo.InvariantCulture),
                int.Parse(f[9], CultureInfo.InvariantCulture), int.Parse(f[10], CultureInfo.InvariantCulture), int.Parse(f[11], CultureInfo.InvariantCulture), f[21], f[22]);
            var dev = f[13].Length == 0 ? null
                : new TaskScores(OptionalDouble(f[14]), OptionalDouble(f[15]), OptionalDouble(f[16]), OptionalDouble(f[17]), OptionalDouble(f[18]));
            return new RunRecord(spec, double.Parse(f[12], CultureInfo.InvariantCulture), dev, int.Parse(f[8], CultureInfo.InvariantCulture),
                double.Parse(f[19], CultureInfo.InvariantCulture), double.Parse(f[20], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException)
        {
            throw new InvalidDataException($"'{path}' line {lineNumber}: {e.Message}", e);
        }
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    private static double? OptionalDouble(string text) => text.Length == 0 ? null : double.Parse(text, CultureInfo.InvariantCulture);
}
