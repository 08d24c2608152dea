using System.Globalization;
using System.Text;
using Microsoft.ML.DeltaLoRA;

namespace DeltaLoRA.Cli.Output;

/// <summary>One optimizer step of the loss curve; <see cref="ValidationMetric"/> is set on the last step of an epoch that was validated.</summary>
internal sealed record LossPoint(int Step, double Epoch, double Loss, double LearningRate, double? ValidationMetric);

/// <summary>Records the trainer's progress reports as one point per optimizer step, and writes them as CSV (whole, or not at all).</summary>
internal sealed class LossCurve : IProgress<TrainingProgress>
{
    public const string CsvHeader = "step,epoch,loss,learning_rate,validation_metric";

    private readonly List<LossPoint> _points = [];

    public IReadOnlyList<LossPoint> Points => _points;

    public void Report(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        // A validation report repeats the step it follows; it adds the metric to that step instead of a new point.
        if (value.ValidationMetric is { } metric && _points.Count > 0 && _points[^1].Step == value.Step)
        {
            _points[^1] = _points[^1] with { ValidationMetric = metric };
            return;
        }
        _points.Add(new LossPoint(value.Step, value.Epoch, value.Loss, value.LearningRate, value.ValidationMetric));
    }

    public void WriteCsv(string path)
    {
        var text = new StringBuilder().Append(CsvHeader).Append('\n');
        foreach (var p in _points)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"{p.Step},{p.Epoch:0.######},{p.Loss:R},{p.LearningRate:R},{(p.ValidationMetric is { } m ? m.ToString("R", CultureInfo.InvariantCulture) : "")}\n");
        }
        AtomicFile.Write(path, temporary => File.WriteAllText(temporary, text.ToString()));
    }
}
