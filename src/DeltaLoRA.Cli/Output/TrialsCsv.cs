using System.Globalization;
using System.Text;
using Microsoft.ML.DeltaLoRA;
using Microsoft.ML.DeltaLoRA.Sweeping;

namespace DeltaLoRA.Cli.Output;

/// <summary>Every trial of a sweep, one CSV row each: its configuration, budget, the options it fitted with, and how it ended.</summary>
internal static class TrialsCsv
{
    public const string Header = "trial,configuration,rung,steps,method,learning_rate,rank,alpha,update_ratio,start_steps,epochs,status,metric,seconds,failure_reason";

    public static void Write(IReadOnlyList<SweepTrial> trials, string path)
    {
        var text = new StringBuilder().Append(Header).Append('\n');
        foreach (var t in trials)
        {
            var o = t.Options;
            text.Append(CultureInfo.InvariantCulture,
                $"{t.Number},{t.Configuration.Id},{t.Rung},{t.Steps},{o.Method},{o.LearningRate:R},{o.Rank},{o.Alpha:R},{o.UpdateRatio:R},{o.StartSteps},{o.Epochs},");
            text.Append(CultureInfo.InvariantCulture, $"{t.Status},{(t.Metric is { } m ? m.ToString("R", CultureInfo.InvariantCulture) : "")},{t.Seconds:0.###},{Quote(t.FailureReason)}\n");
        }
        AtomicFile.Write(path, temporary => File.WriteAllText(temporary, text.ToString()));
    }

    private static string Quote(string? text)
        => text is null ? "" : text.IndexOfAny([',', '"', '\n', '\r']) < 0 ? text : $"\"{text.Replace("\"", "\"\"")}\"";
}
