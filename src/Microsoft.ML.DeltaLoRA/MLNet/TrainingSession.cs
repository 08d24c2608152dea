namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// What a running fine-tuning job may call back into: cancellation (the caller's token, or <c>MLContext.CancelExecution()</c>),
/// progress reports and log lines. Keeps the engine free of ML.NET types.
/// </summary>
internal sealed class TrainingSession : IDisposable
{
    private readonly Func<bool> _isCanceledExternally;
    private readonly Action<string> _log;
    private readonly IProgress<TrainingProgress>? _progress;
    private readonly CancellationTokenSource _cancellation;

    /// <param name="isCanceledExternally">Polled for cancellation that has no token (ML.NET's host cancellation).</param>
    /// <param name="log">Writes one informational line to the ML.NET log.</param>
    /// <param name="progress">The caller's progress callback, or null.</param>
    /// <param name="cancellationToken">The caller's token.</param>
    /// <param name="contextSeed">A seed drawn from the MLContext's random source.</param>
    public TrainingSession(Func<bool> isCanceledExternally, Action<string> log, IProgress<TrainingProgress>? progress,
        CancellationToken cancellationToken, int contextSeed)
    {
        ContextSeed = contextSeed;
        _isCanceledExternally = isCanceledExternally;
        _log = log;
        _progress = progress;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    /// <summary>
    /// Drawn from the MLContext's random source, so it repeats when the MLContext was created with a seed; for engines to
    /// use when <see cref="FineTuningOptions.Seed"/> is not set.
    /// </summary>
    public int ContextSeed { get; }

    /// <summary>Canceled when the caller's token is, or once a poll (<see cref="IsCancellationRequested"/>) saw ML.NET's cancellation.</summary>
    public CancellationToken CancellationToken => _cancellation.Token;

    public bool IsCancellationRequested
    {
        get
        {
            if (!_cancellation.IsCancellationRequested && _isCanceledExternally()) _cancellation.Cancel();
            return _cancellation.IsCancellationRequested;
        }
    }

    public void ThrowIfCancellationRequested()
    {
        if (IsCancellationRequested) throw new OperationCanceledException("Fine-tuning was canceled.", _cancellation.Token);
    }

    /// <summary>Writes the report to the ML.NET log and passes it to <see cref="DeltaLoRAOptions.Progress"/>.</summary>
    public void Report(TrainingProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        _log(progress.ToString());
        _progress?.Report(progress);
    }

    public void Info(string message) => _log(message);

    public void Dispose() => _cancellation.Dispose();
}
