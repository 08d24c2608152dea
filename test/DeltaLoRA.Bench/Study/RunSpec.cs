using System.Globalization;
using DeltaLoRA.Bench.Glue;

namespace DeltaLoRA.Bench.Study;

/// <summary>
/// Everything that identifies one run. <see cref="Key"/> is how runs.csv recognizes a run already done, so that an interrupted
/// study resumes, and runs of another configuration (model, data size, steps) are never mistaken for this one's.
/// </summary>
/// <param name="UpdateRatio">λ of Delta-LoRA; 0 for LoRA; null for full fine-tuning and the frozen baseline.</param>
/// <param name="StartSteps">K of Delta-LoRA (absolute, in optimizer steps); null for the other methods.</param>
/// <param name="Targets">How regression targets were trained: <see cref="StandardizedTargets"/> or <see cref="RawTargets"/>; empty for classification.</param>
internal sealed record RunSpec(GlueTask Task, StudyMethod Method, string Phase, double? LearningRate, int Seed, double? UpdateRatio, int? StartSteps,
    int Steps, int TrainRows, int ValidationRows, int DevRows, string Targets, string Model)
{
    public const string StandardizedTargets = "standardized";
    public const string RawTargets = "raw";

    public string Key => string.Join('|', Task.Name, Method, Phase, Format(LearningRate), Seed.ToString(CultureInfo.InvariantCulture),
        Format(UpdateRatio), StartSteps?.ToString(CultureInfo.InvariantCulture) ?? "", Steps.ToString(CultureInfo.InvariantCulture),
        TrainRows.ToString(CultureInfo.InvariantCulture), ValidationRows.ToString(CultureInfo.InvariantCulture),
        DevRows.ToString(CultureInfo.InvariantCulture), Targets, Model);

    /// <summary>A short label for progress lines.</summary>
    public string Label
    {
        get
        {
            var text = $"{Task.Name} {Method} {Phase}";
            if (LearningRate is double lr) text += $" lr={Format(lr)}";
            if (Method == StudyMethod.DeltaLoRA) text += $" λ={Format(UpdateRatio)} K={StartSteps}";
            return text + $" seed={Seed}";
        }
    }

    public static string Format(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";
}
