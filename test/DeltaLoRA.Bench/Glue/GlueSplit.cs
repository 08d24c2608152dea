namespace DeltaLoRA.Bench.Glue;

/// <summary>The official splits in the data folder (GLUE's test labels are not public).</summary>
internal enum GlueSplit
{
    Train,
    Dev,
}
