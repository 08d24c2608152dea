using System.Globalization;
using Microsoft.ML.DeltaLoRA;
using Spectre.Console;
using Microsoft.ML.DeltaLoRA.Sweeping;

namespace DeltaLoRA.Cli.Output;

/// <summary>Shows a sweep's trials while <see cref="Run{T}"/> runs it, fed by the experiment's progress reports.</summary>
internal abstract class SweepProgressView
{
    /// <summary>A live table of trials on an interactive terminal, one line per trial start and end otherwise (CI logs, redirected output).</summary>
    public static SweepProgressView Create(IAnsiConsole console, bool interactive, string metricName)
        => interactive ? new LiveSweepProgressView(console, metricName) : new PlainSweepProgressView(console, metricName);

    /// <summary>Runs <paramref name="sweep"/>, passing it the progress sink to hand to the experiment.</summary>
    public abstract T Run<T>(Func<IProgress<SweepProgress>, T> sweep);

    protected static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    protected static string Outcome(SweepTrial trial, string metricName) => trial.Status switch
    {
        SweepTrialStatus.Completed => Invariant($"{metricName} {trial.Metric:0.0000}"),
        SweepTrialStatus.Running => "running",
        _ => $"{trial.Status.ToString().ToLowerInvariant()}: {trial.FailureReason}",
    };

    protected static string Standing(SweepProgress p, string metricName)
    {
        var best = p.BestTrial is { } b ? Invariant($"best so far: trial {b.Number}, {metricName} {b.Metric:0.0000}") : "no completed trial yet";
        return p.SecondsLeft is { } left ? Invariant($"{best}; {left:0} s left") : best;
    }

    /// <summary>Calls the given action for each report on the training thread (System.Progress would post it elsewhere).</summary>
    protected sealed class Sink(Action<SweepProgress> report) : IProgress<SweepProgress>
    {
        public void Report(SweepProgress value) => report(value);
    }
}

/// <summary>Spectre.Console's live display: a table of the latest trials, the running one with its step and loss, the best so far and the time left.</summary>
internal sealed class LiveSweepProgressView(IAnsiConsole console, string metricName) : SweepProgressView
{
    private const int VisibleTrials = 25;

    public override T Run<T>(Func<IProgress<SweepProgress>, T> sweep)
    {
        var trials = new List<SweepTrial>();
        return console.Live(new Text("loading the data and the model")).AutoClear(false).Start(context => sweep(new Sink(p =>
        {
            if (trials.Count > 0 && trials[^1].Number == p.Trial.Number) trials[^1] = p.Trial;
            else trials.Add(p.Trial);
            context.UpdateTarget(Table(trials, p));
        })));
    }

    private Table Table(List<SweepTrial> trials, SweepProgress latest)
    {
        var table = new Table().AddColumns("#", "rung", "steps", "configuration", "result", "s");
        foreach (var trial in trials.Skip(Math.Max(0, trials.Count - VisibleTrials)))
        {
            var result = trial.Status == SweepTrialStatus.Running && latest.Step is { } step && latest.Trial.Number == trial.Number
                ? Invariant($"step {step.Step}/{trial.Steps}, loss {step.Loss:0.0000}")
                : Outcome(trial, metricName);
            var best = latest.BestTrial?.Number == trial.Number;
            table.AddRow(trial.Number.ToString(CultureInfo.InvariantCulture), trial.Rung.ToString(CultureInfo.InvariantCulture),
                trial.Steps.ToString(CultureInfo.InvariantCulture), Markup.Escape(trial.Configuration.ToString()),
                best ? $"[green]{Markup.Escape(result)}[/]" : Markup.Escape(result),
                trial.Status == SweepTrialStatus.Running ? "" : Invariant($"{trial.Seconds:0.0}"));
        }
        return table.Caption(Markup.Escape(Standing(latest, metricName)));
    }
}

/// <summary>One line when a trial starts and one when it ends, for logs.</summary>
internal sealed class PlainSweepProgressView(IAnsiConsole console, string metricName) : SweepProgressView
{
    public override T Run<T>(Func<IProgress<SweepProgress>, T> sweep)
        => sweep(new Sink(p =>
        {
            if (p.Step is not null) return;
            var elapsed = TimeSpan.FromSeconds(p.ElapsedSeconds);
            console.WriteLine(p.Trial.Status == SweepTrialStatus.Running
                ? Invariant($"[{elapsed:mm\\:ss}] trial {p.Trial.Number}: {p.Trial.Configuration}, rung {p.Trial.Rung}, {p.Trial.Steps} steps")
                : Invariant($"[{elapsed:mm\\:ss}] trial {p.Trial.Number} {Outcome(p.Trial, metricName)} in {p.Trial.Seconds:0.0} s; {Standing(p, metricName)}"));
        }));
}
