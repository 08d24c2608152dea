using System.Globalization;
using Microsoft.ML.DeltaLoRA;

/// <summary>How requests are scored: one row per call through a pool of prediction engines, or rows of concurrent requests gathered into one <c>Transform</c>.</summary>
internal enum ScoringMode
{
    Pool,
    Batch,
}

/// <summary>
/// The service's settings, read once from the command line (ASP.NET Core's configuration: <c>--model PATH</c>, or environment
/// variables such as <c>MODEL=PATH</c>) and checked here, so that nothing later has to.
/// </summary>
internal sealed record ServeOptions(
    string ModelPath,
    ScoringMode Mode,
    int PoolSize,
    int MaxBatchRows,
    long MaxBodyBytes,
    int MaxTextsPerRequest,
    TimeSpan ReloadDebounce,
    int? Threads,
    bool OnnxRuntimeSpin)
{
    public const string Usage = """
        usage: dotnet Serve.dll --model MODEL.zip [--urls http://127.0.0.1:5000] [--engine batch|pool] [--pool-size N]
                                [--max-batch-rows 32] [--max-body-bytes 1048576] [--max-texts 256] [--reload-debounce-ms 500]
                                [--threads N] [--onnxruntime-spin true|false]
        """;

    /// <exception cref="ArgumentException">An option is missing or out of range; the message names it and what is expected.</exception>
    public static ServeOptions From(IConfiguration settings)
    {
        var model = settings["model"];
        if (string.IsNullOrWhiteSpace(model)) throw new ArgumentException("--model is required: the model zip to serve (saved by mlContext.Model.Save or 'deltalora train').");
        var path = Path.GetFullPath(model);
        if (Directory.Exists(path)) throw new ArgumentException($"--model '{model}' is a folder; expected a model zip.");
        if (!File.Exists(path)) throw new ArgumentException($"--model: the file '{model}' does not exist.");

        var mode = settings["engine"] switch
        {
            null or "batch" => ScoringMode.Batch,
            "pool" => ScoringMode.Pool,
            var other => throw new ArgumentException($"--engine must be 'batch' or 'pool', found '{other}'."),
        };
        return new ServeOptions(
            path,
            mode,
            PoolSize: Integer(settings, "pool-size", Environment.ProcessorCount, 1, 256),
            MaxBatchRows: Integer(settings, "max-batch-rows", 32, 1, 4096),
            MaxBodyBytes: Integer(settings, "max-body-bytes", 1 << 20, 16, int.MaxValue),
            MaxTextsPerRequest: Integer(settings, "max-texts", 256, 1, 100_000),
            ReloadDebounce: TimeSpan.FromMilliseconds(Integer(settings, "reload-debounce-ms", 500, 0, 60_000)),
            Threads: settings["threads"] is null ? null : Integer(settings, "threads", 0, 1, TorchThreads.MaxCount),
            OnnxRuntimeSpin: settings["onnxruntime-spin"] switch
            {
                null or "true" => true,
                "false" => false,
                var other => throw new ArgumentException($"--onnxruntime-spin must be 'true' or 'false', found '{other}'."),
            });
    }

    /// <summary>
    /// Makes --threads and --onnxruntime-spin the settings of the models loaded from now on (both are process-wide): the first
    /// model and every reload.
    /// </summary>
    public void ApplyToScoring()
    {
        TorchThreads.ScoringCount = Threads;
        OnnxRuntimeThreads.ScoringCount = Threads;
        OnnxRuntimeThreads.SpinWhileRunning = OnnxRuntimeSpin;
    }

    private static int Integer(IConfiguration settings, string name, int fallback, int min, int max)
    {
        var text = settings[name];
        if (text is null) return fallback;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            throw new ArgumentException($"--{name} must be a whole number from {min} to {max}, found '{text}'.");
        return value;
    }
}
