namespace Microsoft.ML.DeltaLoRA.Tests.Training;

/// <summary>Records progress reports synchronously, on the training thread (System.Progress posts them asynchronously).</summary>
internal sealed class ListProgress<T>(Action<T>? onReport = null) : IProgress<T>
{
    public List<T> Reports { get; } = [];

    public void Report(T value)
    {
        Reports.Add(value);
        onReport?.Invoke(value);
    }
}
