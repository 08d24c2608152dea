/// <summary>
/// Reloads the model when its file changes: a write, a copy over it or a rename onto it. Events come in bursts while a file is
/// written, so the reload waits until none has come for the debounce time; it loads the new model fully beside the old one
/// and only then swaps it in. A file that does not load (still being written, or bad) leaves the old model serving; the
/// next change, or one of a few retries, tries again.
/// </summary>
internal sealed class ModelFileWatcher : IDisposable
{
    private const int RetriesAfterFailure = 3;
    private readonly ServeOptions _options;
    private readonly ModelSlot _slot;
    private readonly ILogger _log;
    private readonly FileSystemWatcher _watcher;
    private readonly Timer _debounce;
    private readonly object _reloading = new();
    private int _retriesLeft;

    public ModelFileWatcher(ServeOptions options, ModelSlot slot, ILogger log)
    {
        _options = options;
        _slot = slot;
        _log = log;
        _debounce = new Timer(_ => Reload());
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(options.ModelPath)!, Path.GetFileName(options.ModelPath))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.CreationTime,
        };
        _watcher.Changed += (_, _) => FileChanged();
        _watcher.Created += (_, _) => FileChanged();
        _watcher.Renamed += (_, _) => FileChanged();
        _watcher.Error += (_, _) => FileChanged(); // events were lost (the kernel's queue overflowed): reload to be sure
        _watcher.EnableRaisingEvents = true;
    }

    /// <summary>The last reload's error, or null when it succeeded (or none failed yet).</summary>
    public string? LastError { get; private set; }

    public void Dispose()
    {
        _watcher.Dispose();
        _debounce.Dispose();
    }

    private void FileChanged()
    {
        Interlocked.Exchange(ref _retriesLeft, RetriesAfterFailure);
        _debounce.Change(_options.ReloadDebounce, Timeout.InfiniteTimeSpan);
    }

    private void Reload()
    {
        lock (_reloading)
        {
            if (!File.Exists(_options.ModelPath)) return; // removed, or between a delete and a rename: the next event reloads
            try
            {
                var next = ServedModel.Load(_options, _slot.Reloads + 1);
                _slot.Swap(next);
                LastError = null;
                _log.LogInformation("Reloaded {Path} (version {Version}).", _options.ModelPath, next.Version);
            }
            catch (Exception e) // a timer callback: an exception escaping here would end the process, and the old model still serves
            {
                LastError = e.Message;
                bool retry = Interlocked.Decrement(ref _retriesLeft) >= 0;
                _log.LogWarning("Could not reload {Path}; still serving the previous model{Retry}: {Error}", _options.ModelPath, retry ? " (will retry)" : "", e.Message);
                if (retry) _debounce.Change(_options.ReloadDebounce + TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
            }
        }
    }
}
