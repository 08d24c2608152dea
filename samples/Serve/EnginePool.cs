using System.Threading.Channels;

/// <summary>
/// A fixed set of prediction engines (ML.NET's engine is not thread-safe). A request waits for an idle engine, scores its
/// row and hands the engine back; at most <c>size</c> rows are scored at once, so a burst queues instead of piling threads
/// onto the CPU.
/// </summary>
internal sealed class EnginePool : IRequestScorer
{
    private readonly Channel<IRowEngine> _idle = Channel.CreateUnbounded<IRowEngine>();
    private readonly List<IRowEngine> _all = [];

    public EnginePool(LoadedModel model, int size)
    {
        for (int i = 0; i < size; i++)
        {
            var engine = model.CreateEngine();
            _all.Add(engine);
            _idle.Writer.TryWrite(engine);
        }
    }

    public async Task<Prediction> ScoreAsync(TextInput input, CancellationToken cancellation)
    {
        var engine = await _idle.Reader.ReadAsync(cancellation);
        try
        {
            return engine.Predict(input);
        }
        finally
        {
            _idle.Writer.TryWrite(engine);
        }
    }

    public void Dispose()
    {
        _idle.Writer.Complete();
        foreach (var engine in _all) engine.Dispose();
    }
}
