/// <summary>
/// The model the service answers with now. A request takes a lease on the current version and keeps using that version even if
/// a new one is swapped in meanwhile; the swap itself is one atomic exchange, made only after the new model is fully loaded.
/// </summary>
internal sealed class ModelSlot(ServedModel first) : IDisposable
{
    private ServedModel _current = first;

    /// <summary>Reloads so far (0 before the first swap).</summary>
    public int Reloads => Volatile.Read(ref _current).Version;

    /// <summary>The current version, held until the lease is disposed.</summary>
    public Lease Acquire()
    {
        while (true)
        {
            var current = Volatile.Read(ref _current);
            // Fails only in the instant between a swap and this read, when the old version's last user let go: read again.
            if (current.TryAddReference()) return new Lease(current);
        }
    }

    /// <summary>Serves <paramref name="next"/> from now on and lets go of the slot's reference to the previous version.</summary>
    public void Swap(ServedModel next) => Interlocked.Exchange(ref _current, next).Release();

    /// <summary>Lets go of the current version, when the service stops (it is disposed once the last request is done).</summary>
    public void Dispose() => Volatile.Read(ref _current).Release();

    public readonly struct Lease(ServedModel served) : IDisposable
    {
        public ServedModel Served { get; } = served;

        public void Dispose() => Served.Release();
    }
}
