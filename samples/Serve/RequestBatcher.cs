using System.Threading.Channels;

/// <summary>
/// Gathers single-row requests into batches for the model's <c>Transform</c>: one loop takes every request waiting (up to
/// <c>maxRows</c>), scores them together and answers each. It waits for no timer: while one batch is scored the next one
/// fills, so a lone request is scored at once and a busy service scores many rows per forward pass.
/// </summary>
internal sealed class RequestBatcher : IRequestScorer
{
    private readonly LoadedModel _model;
    private readonly int _maxRows;
    private readonly Channel<Pending> _waiting = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    public RequestBatcher(LoadedModel model, int maxRows)
    {
        _model = model;
        _maxRows = maxRows;
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
                var predictions = _model.Predict(batch.ConvertAll(p => p.Input));
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
