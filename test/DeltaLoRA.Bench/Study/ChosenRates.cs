using DeltaLoRA.Bench.Glue;

namespace DeltaLoRA.Bench.Study;

/// <summary>
/// The learning rate a study chose for each task × method: the rate of its final runs in the study's runs.csv (final runs are
/// made only at the chosen rate). Calibration runs reuse them instead of choosing again.
/// </summary>
internal sealed class ChosenRates
{
    private readonly Dictionary<(string Task, StudyMethod Method), double> _rates;

    private ChosenRates(string source, Dictionary<(string, StudyMethod), double> rates) => (Source, _rates) = (source, rates);

    /// <summary>Where the rates come from, for error messages.</summary>
    public string Source { get; }

    /// <summary>
    /// Reads the final runs of <paramref name="runsCsv"/> made on <paramref name="model"/>. A task × method whose final runs have
    /// more than one rate (runs from two studies in one file) is an error, not a guess.
    /// </summary>
    public static ChosenRates Read(string runsCsv, string model)
    {
        if (!File.Exists(runsCsv)) throw new FileNotFoundException($"--rates: '{runsCsv}' does not exist; give a study's runs.csv.", runsCsv);
        var finals = RunLog.Open(runsCsv).Records.Where(r => r.Spec.Phase == RunPhase.Final && r.Spec.LearningRate is not null).ToArray();
        var otherModels = finals.Select(r => r.Spec.Model).Where(m => m != model).Distinct().ToArray();
        if (otherModels.Length > 0 && finals.All(r => r.Spec.Model != model))
            throw new InvalidDataException($"--rates: the final runs in '{runsCsv}' were made on {string.Join(", ", otherModels)}, not on {model}.");
        var rates = new Dictionary<(string, StudyMethod), double>();
        foreach (var cell in finals.Where(r => r.Spec.Model == model).GroupBy(r => (r.Spec.Task.Name, r.Spec.Method)))
        {
            var distinct = cell.Select(r => r.Spec.LearningRate!.Value).Distinct().ToArray();
            if (distinct.Length > 1)
                throw new InvalidDataException($"--rates: '{runsCsv}' has final {cell.Key.Method} runs on {cell.Key.Name} at {distinct.Length} rates ({string.Join(", ", distinct.Select(v => RunSpec.Format(v)))}); give the rate with --lr-grid {cell.Key.Method}=RATE.");
            rates[cell.Key] = distinct[0];
        }
        return new ChosenRates(runsCsv, rates);
    }

    public double? For(GlueTask task, StudyMethod method) => _rates.TryGetValue((task.Name, method), out double rate) ? rate : null;
}
