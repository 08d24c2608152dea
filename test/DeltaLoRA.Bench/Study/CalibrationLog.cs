using System.Globalization;
using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Metrics;
using DeltaLoRA.Bench.Reporting;

namespace DeltaLoRA.Bench.Study;

/// <summary>
/// calibration.csv: one line per finished calibration run, appended and flushed when the run ends. A run is only written once it
/// has finished, so a process killed mid-run leaves no line for it and the next start makes it again from the beginning; a run
/// already there is skipped (<see cref="Contains"/>).
/// </summary>
internal sealed class CalibrationLog
{
    public const string FileName = "calibration.csv";

    public static readonly string[] Header =
    [
        "task", "method", "lr", "seed", "max_epochs", "patience", "epochs_run", "best_epoch", "val_metric", "val_by_epoch", "val_score",
        "dev_score", "accuracy", "f1", "mcc", "pearson", "spearman", "lambda", "k", "warmup", "max_steps", "rank", "alpha", "batch_size",
        "max_length", "train_rows", "val_rows", "dev_rows", "targets", "train_seconds", "eval_seconds", "cpu_seconds", "model", "commit",
        "finished_utc",
    ];

    private readonly List<CalibrationRecord> _records = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);

    private CalibrationLog(string path) => Path = path;

    public string Path { get; }

    /// <summary>The runs in file order.</summary>
    public IReadOnlyList<CalibrationRecord> Records => _records;

    /// <summary>Reads the runs already in <paramref name="path"/>, or starts the file with its header.</summary>
    public static CalibrationLog Open(string path)
    {
        var log = new CalibrationLog(path);
        foreach (var (fields, lineNumber) in Csv.ReadOrCreate(path, Header, "calibration"))
            log.Add(Parse(fields, path, lineNumber));
        return log;
    }

    public bool Contains(string key) => _keys.Contains(key);

    public void Append(CalibrationRecord record)
    {
        File.AppendAllText(Path, Csv.Line(Format(record)) + "\n");
        Add(record);
    }

    private void Add(CalibrationRecord record)
    {
        _records.Add(record);
        _keys.Add(record.Key);
    }

    public static string[] Format(CalibrationRecord r)
    {
        var s = r.Spec;
        var setup = r.Setup;
        return
        [
            s.Task.Name, s.Method.ToString(), RunSpec.Format(s.LearningRate), Int(s.Seed), Int(setup.MaxEpochs), Int(setup.Patience), Int(r.EpochsRun),
            Int(r.BestEpoch), r.ValidationMetric, string.Join(';', r.ValidationByEpoch.Select(v => Number(v))), Number(r.ValidationScore),
            Number(r.Dev.Score), Number(r.Dev.Accuracy), Number(r.Dev.F1), Number(r.Dev.Mcc), Number(r.Dev.Pearson), Number(r.Dev.Spearman),
            RunSpec.Format(s.UpdateRatio), s.StartSteps is int k ? Int(k) : "", Int(r.WarmupSteps), Int(s.Steps), Int(setup.Rank),
            RunSpec.Format(setup.Alpha), Int(setup.BatchSize), Int(setup.MaxSequenceLength), Int(s.TrainRows), Int(s.ValidationRows), Int(s.DevRows),
            s.Targets, Seconds(r.TrainSeconds), Seconds(r.EvalSeconds), Seconds(r.CpuSeconds), s.Model, r.Commit,
            r.FinishedUtc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        ];
    }

    private static CalibrationRecord Parse(string[] f, string path, int lineNumber)
    {
        try
        {
            var spec = new RunSpec(GlueTask.Parse(f[0]), StudyMethods.Parse(f[1]), RunPhase.Calibrate, OptionalDouble(f[2]), ParseInt(f[3]),
                OptionalDouble(f[17]), f[18].Length == 0 ? null : ParseInt(f[18]), ParseInt(f[20]), ParseInt(f[25]), ParseInt(f[26]), ParseInt(f[27]), f[28], f[32]);
            var setup = new CalibrationSetup(ParseInt(f[4]), ParseInt(f[5]), ParseInt(f[21]), ParseDouble(f[22]), ParseInt(f[23]), ParseInt(f[24]));
            var byEpoch = f[9].Length == 0 ? [] : f[9].Split(';').Select(ParseDouble).ToArray();
            var dev = new TaskScores(OptionalDouble(f[12]), OptionalDouble(f[13]), OptionalDouble(f[14]), OptionalDouble(f[15]), OptionalDouble(f[16]));
            var finished = DateTime.ParseExact(f[34], "yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
            return new CalibrationRecord(spec, setup, f[8], byEpoch, ParseDouble(f[10]), dev, ParseInt(f[19]), ParseDouble(f[29]), ParseDouble(f[30]),
                ParseDouble(f[31]), f[33], finished);
        }
        catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException)
        {
            throw new InvalidDataException($"'{path}' line {lineNumber}: {e.Message}", e);
        }
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    private static string Seconds(double value) => value.ToString("F2", CultureInfo.InvariantCulture);

    private static int ParseInt(string text) => int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static double ParseDouble(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static double? OptionalDouble(string text) => text.Length == 0 ? null : ParseDouble(text);
}
