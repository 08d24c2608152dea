namespace DeltaLoRA.Bench.Study;

/// <summary>What a study produced: every run of its configuration (made now or read back from runs.csv), the learning rate
/// chosen for each task and fine-tuning method, and the loss curves.</summary>
internal sealed record StudyOutcome(StudySettings Settings, IReadOnlyList<RunRecord> Records,
    IReadOnlyDictionary<(string Task, StudyMethod Method), double> ChosenLearningRates, LossLog Losses)
{
    public IEnumerable<RunRecord> Final => Records.Where(r => r.Spec.Phase == RunPhase.Final);
}
