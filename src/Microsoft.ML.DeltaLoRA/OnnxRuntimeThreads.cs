namespace Microsoft.ML.DeltaLoRA;

/// <summary>
/// ONNX Runtime's CPU threads for models that score with ONNX Runtime (a zip saved after <c>WithOnnxRuntimeScoring</c>, or
/// <c>deltalora export --format mlnet-onnx</c>): how many threads each op runs on, and whether they spin while a run lasts.
/// Applied to the ONNX Runtime sessions made afterwards, when such a model is loaded (<c>MLContext.Model.Load</c>) or made
/// (<c>WithOnnxRuntimeScoring</c>); a model already loaded keeps its session. <see cref="TorchThreads"/> is the same for the
/// TorchSharp engine.
/// <para>
/// Beside other busy processes, no spinning is faster: ORT's threads spin between the many short ops of a run, which is fastest
/// on idle cores (about 3 % on MiniLM) but holds cores another process wants, and a run then waits for its slowest thread. The
/// Serve sample beside two busy processes served 1.2–1.5× the requests without spinning (docs/serving.md, Load figures).
/// </para>
/// </summary>
public static class OnnxRuntimeThreads
{
    private static int? _scoringCount;

    /// <summary>
    /// Threads per op for sessions made from now on, between 1 and <see cref="TorchThreads.MaxCount"/>. Null (the default):
    /// ONNX Runtime's own count, one per physical core.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1 or above <see cref="TorchThreads.MaxCount"/>.</exception>
    public static int? ScoringCount
    {
        get => _scoringCount;
        set
        {
            if (value is int count) TorchThreads.RequireValid(count, nameof(ScoringCount), "ONNX Runtime's threads per op");
            _scoringCount = value;
        }
    }

    /// <summary>
    /// Whether the threads of sessions made from now on spin while a run lasts (true, the default, as ONNX Runtime does) or
    /// sleep whenever they wait. They stop spinning when a run returns either way.
    /// </summary>
    public static bool SpinWhileRunning { get; set; } = true;
}
