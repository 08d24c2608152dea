using Microsoft.ML.DeltaLoRA;

namespace DeltaLoRA.Bench.Study;

/// <summary>What a study run trains: one of the library's three fine-tuning methods, or the frozen-embedding baseline.</summary>
internal enum StudyMethod
{
    DeltaLoRA,
    LoRA,
    Full,

    /// <summary>The pretrained sentence vector, not trained, fed to an ML.NET linear trainer (LbfgsMaximumEntropy / Sdca).</summary>
    Frozen,
}

internal static class StudyMethods
{
    public static IReadOnlyList<StudyMethod> All { get; } = Enum.GetValues<StudyMethod>();

    public static bool FineTunes(this StudyMethod method) => method != StudyMethod.Frozen;

    public static FineTuningMethod ToFineTuningMethod(this StudyMethod method) => method switch
    {
        StudyMethod.DeltaLoRA => FineTuningMethod.DeltaLoRA,
        StudyMethod.LoRA => FineTuningMethod.LoRA,
        StudyMethod.Full => FineTuningMethod.Full,
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "The frozen-embedding baseline does not fine-tune."),
    };

    public static StudyMethod Parse(string name)
        => Enum.TryParse<StudyMethod>(name.Trim().Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var method) && Enum.IsDefined(method)
            ? method
            : throw new ArgumentOutOfRangeException(nameof(name), name, $"Unknown method '{name}'; expected one of {string.Join(", ", All)}.");
}
