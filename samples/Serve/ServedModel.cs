/// <summary>
/// One version of the served model: the loaded zip and its request scorer, with a count of its users. The slot that serves
/// it holds one reference and each request one more; whoever lets go of the last one disposes the model, so a model swapped
/// out stays alive until its last request in flight has finished.
/// </summary>
internal sealed class ServedModel
{
    private int _references = 1;

    private ServedModel(LoadedModel model, ServeOptions options, int version)
    {
        Model = model;
        Version = version;
        LoadedAt = DateTimeOffset.UtcNow;
        Scorer = options.Mode == ScoringMode.Pool ? new EnginePool(model, options.PoolSize) : new RequestBatcher(model, options.MaxBatchRows);
    }

    public LoadedModel Model { get; }
    public IRequestScorer Scorer { get; }
    public int Version { get; }
    public DateTimeOffset LoadedAt { get; }

    /// <summary>
    /// Loads the zip at <see cref="ServeOptions.ModelPath"/> fully and scores a row through the new scorer and two through
    /// <c>Transform</c>, so that a model that cannot answer is never served and its first request pays no warm-up.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a model this service can serve; nothing is left loaded.</exception>
    public static ServedModel Load(ServeOptions options, int version)
    {
        var model = LoadedModel.Load(options.ModelPath);
        ServedModel served;
        try
        {
            served = new ServedModel(model, options, version);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        try
        {
            var warmUp = new TextInput("warm-up", model.ReadsPairs ? "warm-up" : null);
            // Both paths: the scorer's (a single-row engine for a lone request) and Transform's (/predict/batch, batches of requests).
            served.Scorer.ScoreAsync(warmUp, CancellationToken.None).GetAwaiter().GetResult();
            model.Predict([warmUp, warmUp]);
            return served;
        }
        catch
        {
            served.Release();
            throw;
        }
    }

    /// <summary>Adds a user unless the model is already disposed (its count reached zero) or being disposed.</summary>
    public bool TryAddReference()
    {
        for (int count = Volatile.Read(ref _references); count > 0; count = Volatile.Read(ref _references))
            if (Interlocked.CompareExchange(ref _references, count + 1, count) == count) return true;
        return false;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) > 0) return;
        Scorer.Dispose();
        Model.Dispose();
    }
}
