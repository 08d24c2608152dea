using Microsoft.ML.DeltaLoRA;
using Spectre.Console;

namespace DeltaLoRA.Cli.Output;

/// <summary>Shows training progress while <see cref="Run{T}"/> runs the training, fed by the trainer's progress reports.</summary>
internal abstract class TrainingProgressView
{
    /// <summary>A live progress bar on an interactive terminal, plain lines otherwise (CI logs, redirected output).</summary>
    public static TrainingProgressView Create(IAnsiConsole console, bool interactive, int epochs, string validationMetricName)
        => interactive ? new LiveTrainingProgressView(console, epochs, validationMetricName) : new PlainTrainingProgressView(console, epochs, validationMetricName);

    /// <summary>Runs <paramref name="training"/>, passing it the progress sink to hand to the trainer.</summary>
    public abstract T Run<T>(Func<IProgress<TrainingProgress>, T> training);

    protected static string Describe(TrainingProgress p, int epochs, string validationMetricName, double? lastValidation)
    {
        var text = FormattableString.Invariant($"epoch {p.Epoch:0.00}/{epochs}  step {p.Step}  loss {p.Loss:0.0000}  lr {p.LearningRate:0.00e+0}");
        return lastValidation is { } metric ? text + FormattableString.Invariant($"  {validationMetricName} {metric:0.0000}") : text;
    }

    /// <summary>Calls the given action for each report on the training thread (System.Progress would post it elsewhere).</summary>
    protected sealed class Sink(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}

/// <summary>Spectre.Console's progress bar: epochs done, step, loss, learning rate, elapsed and remaining time.</summary>
internal sealed class LiveTrainingProgressView(IAnsiConsole console, int epochs, string validationMetricName) : TrainingProgressView
{
    public override T Run<T>(Func<IProgress<TrainingProgress>, T> training)
    {
        return console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var task = context.AddTask("loading the model and tokenizing", maxValue: epochs);
                double? validation = null;
                var result = training(new Sink(p =>
                {
                    validation = p.ValidationMetric ?? validation;
                    task.Value = Math.Min(p.Epoch, epochs);
                    task.Description = Markup.Escape(Describe(p, epochs, validationMetricName, validation));
                }));
                task.Value = task.MaxValue;
                return result;
            });
    }
}

/// <summary>One line per 5% of training and one per validation, for logs.</summary>
internal sealed class PlainTrainingProgressView(IAnsiConsole console, int epochs, string validationMetricName) : TrainingProgressView
{
    private const int Lines = 20;

    public override T Run<T>(Func<IProgress<TrainingProgress>, T> training)
    {
        int lastBucket = -1;
        double? validation = null;
        var started = DateTime.UtcNow;
        return training(new Sink(p =>
        {
            int bucket = (int)Math.Floor(Math.Min(p.Epoch / epochs, 1) * Lines);
            if (p.ValidationMetric is null && bucket <= lastBucket) return;
            lastBucket = Math.Max(bucket, lastBucket);
            validation = p.ValidationMetric ?? validation;
            var elapsed = DateTime.UtcNow - started;
            console.WriteLine(FormattableString.Invariant($"[{100.0 * Math.Min(p.Epoch / epochs, 1),3:0}% {elapsed:mm\\:ss}] {Describe(p, epochs, validationMetricName, validation)}"));
        }));
    }
}
