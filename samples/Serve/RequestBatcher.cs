using System.Threading.Channels;

/// <summary>
/// Gathers single-row requests into batches for the model's <c>Transform</c>: one loop takes every request waiting (up to
/// <c>maxRows</c>), scores them together and answers each. It waits for no timer: while one batch is scored the next one
/// fills, so a lone request is scored at once and a busy service scores many rows per forward pass. A lone request goes through
/// a single-row engine instead: building a data view and cursor for one row costs more than the row (the ONNX Runtime engine
/// served 104 requests/s at one client through <c>Transform</c> against 180 through a <c>PredictionEngine</c>).
/// </summary>
internal sealed class RequestBatcher : IRequestScorer
{
    private readonly LoadedModel _model;
    private readonly int _maxRows;
    private readonly Channel<Pending> _waiting = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IRowEngine _loneRowEngine; // used only by the loop, so one caller at a time
    private readonly Task _loop;

    public RequestBatcher(LoadedModel model, int maxRows)
    {
        _model = model;
        _maxRows = maxRows;
        _loneRowEngine = model.CreateEngine();
        _loop = Task.Run(ScoreUntilCompleted);
    }

    public Task<Prediction> ScoreAsync(TextInput input, CancellationToken cancellation)
    {
        // Continuations run on the thread pool, not on the scoring loop, so that answering requests does not delay the next batch.
        var pending = new Pending(input, new TaskCompletionSource<Prediction>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_waiting.Writer.TryWrite(pending)) throw new ObjectDisposedException(nameof(RequestBatcher));
        return pending.Answer.Task.WaitAsync(cancellation);
    }

    public void Dispose()
    {
        _waiting.Writer.Complete();
        _loop.Wait();
        _loneRowEngine.Dispose();
    }

    private async Task ScoreUntilCompleted()
    {
        var batch = new List<Pending>(_maxRows);
        while (await _waiting.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _maxRows && _waiting.Reader.TryRead(out var pending)) batch.Add(pending);
            try
            {
                Prediction[] predictions = batch.Count == 1 ? [_loneRowEngine.Predict(batch[0].Input)] : _model.Predict(batch.ConvertAll(p => p.Input));
                for (int i = 0; i < batch.Count; i++) batch[i].Answer.SetResult(predictions[i]);
            }
            catch (Exception e)
            {
                foreach (var pending in batch) pending.Answer.TrySetException(e);
            }
        }
    }

    private sealed record Pending(TextInput Input, TaskCompletionSource<Prediction> Answer);
}
