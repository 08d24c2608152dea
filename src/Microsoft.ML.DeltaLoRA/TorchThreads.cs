using TorchSharp;

namespace Microsoft.ML.DeltaLoRA;

/// <summary>
/// How many threads libtorch's CPU kernels run on (its intra-op OpenMP pool), for scoring, and the default for training
/// (<see cref="DeltaLoRAOptions.ThreadCount"/>).
/// <para>
/// The count is libtorch's, so it is shared by the whole process, not by one model: applying it (when <c>Fit</c> starts and
/// returns, and when a model is loaded) sets libtorch's default for threads that have not run a libtorch operation yet,
/// and the calling thread's own count (OpenMP keeps one per thread). Each scoring call then applies its model's count to the
/// thread it runs on, so a <c>PredictionEngine</c> or <c>Transform</c> used from another thread scores with it too. Other
/// TorchSharp code in the process sees the count last applied on its thread.
/// </para>
/// <para>
/// Beside other busy processes, a count above the cores left free can be several times slower: idle OpenMP threads spin for a
/// while before they sleep, and a parallel region waits for its slowest thread, so an operation can stall for a scheduler time
/// slice. Either choose fewer threads, or start the process with <c>OMP_WAIT_POLICY=PASSIVE</c> in its environment (libgomp
/// reads it once, when libtorch loads; <c>Environment.SetEnvironmentVariable</c> does not reach it). docs/performance.md has
/// the figures, which depend much on the load.
/// </para>
/// </summary>
public static class TorchThreads
{
    /// <summary>The largest count accepted; far more than any CPU this library trains on, and small enough for OpenMP to create.</summary>
    public const int MaxCount = 1024;

    private static readonly Lazy<int> LibTorchInitialCount = new(torch.get_num_threads);
    private static int? _scoringCount;

    /// <summary>
    /// The count used when none is chosen: libtorch's own when this library first used it (the physical cores it found, or
    /// <c>OMP_NUM_THREADS</c> when set), but no more than <see cref="Environment.ProcessorCount"/>, the processors .NET lets
    /// this process use (its CPU affinity and its container's CPU quota, which libtorch does not read).
    /// </summary>
    public static int DefaultCount => Math.Clamp(Math.Min(LibTorchInitialCount.Value, Environment.ProcessorCount), 1, MaxCount);

    /// <summary>
    /// Threads for scoring, applied to models loaded afterwards (<c>MLContext.Model.Load</c>) and to models fitted afterwards
    /// once <c>Fit</c> returns. Null (the default): a loaded model uses <see cref="DefaultCount"/>, and a fitted one keeps the
    /// count it trained with (<see cref="DeltaLoRAOptions.ThreadCount"/>). A model already loaded or fitted keeps its count.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1 or above <see cref="MaxCount"/>.</exception>
    public static int? ScoringCount
    {
        get => _scoringCount;
        set
        {
            if (value is int count) RequireValid(count, nameof(ScoringCount), "libtorch's CPU threads");
            _scoringCount = value;
        }
    }

    /// <summary>The count libtorch uses on the calling thread now.</summary>
    public static int Current => torch.get_num_threads();

    /// <summary>Makes <paramref name="count"/> libtorch's count on the calling thread and for threads that start using libtorch later.</summary>
    internal static void Apply(int count)
    {
        // Read before the first change, so that DefaultCount stays libtorch's own.
        _ = LibTorchInitialCount.Value;
        if (torch.get_num_threads() != count) torch.set_num_threads(count);
    }

    /// <summary>Refuses a thread count outside 1..<see cref="MaxCount"/>, naming the setting and what it counts.</summary>
    internal static void RequireValid(int count, string option, string counted)
    {
        if (count is < 1 or > MaxCount)
            throw new ArgumentOutOfRangeException(option, count, $"{option} must be between 1 and {MaxCount} ({counted}); found {count}.");
    }
}
