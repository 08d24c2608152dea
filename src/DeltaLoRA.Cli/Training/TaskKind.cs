namespace DeltaLoRA.Cli.Training;

/// <summary>What the model learns from the label column (--task).</summary>
internal enum TaskKind
{
    /// <summary>Labels are classes (text or numbers), mapped to keys with MapValueToKey.</summary>
    Classification,

    /// <summary>Labels are numbers (Single); mean squared error.</summary>
    Regression,
}
