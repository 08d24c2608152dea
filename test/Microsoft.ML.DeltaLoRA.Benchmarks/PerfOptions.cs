namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>Command-line settings of the <c>perf</c> report; every one has a default that keeps the run under ~10 minutes on 2 cores.</summary>
internal sealed record PerfOptions
{
    /// <summary>Layers of the BERT-base-shaped encoder (12 = BERT-base).</summary>
    public int Layers { get; init; } = 12;
    public int BatchSize { get; init; } = 16;
    public int SequenceLength { get; init; } = 128;
    public int WarmupRounds { get; init; } = 1;
    /// <summary>Timed rounds of the interleaved step timing of the BERT-base shape (each round steps LoRA, Delta-LoRA and Full once).</summary>
    public int TimedRounds { get; init; } = 4;
    /// <summary>Timed rounds for USE-Lite, whose steps are about 20× shorter.</summary>
    public int UseLiteTimedRounds { get; init; } = 16;
    /// <summary>Child processes per method for the BERT-base shape's peak memory (0 skips memory).</summary>
    public int MemoryRounds { get; init; } = 1;
    /// <summary>The same for USE-Lite, whose children take seconds and whose small peaks need a median.</summary>
    public int UseLiteMemoryRounds { get; init; } = 3;
    public IReadOnlyList<string> Models { get; init; } = [BenchmarkModel.UseLiteKey, BenchmarkModel.BertKey];
    public bool Training { get; init; } = true;
    public bool Inference { get; init; } = true;
    /// <summary>
    /// Alternating inference rounds (batched pass over every sentence, then a share of the one-at-a-time rows); null: 3 for
    /// USE-Lite, 2 for the BERT-base shape (a batched pass of BERT-base over the 872 sentences takes 15–60 s here).
    /// </summary>
    public int? InferenceRounds { get; init; }

    public int InferenceRoundsFor(string modelKey) => InferenceRounds ?? (modelKey == BenchmarkModel.BertKey ? 2 : 3);
    /// <summary>Rows scored one at a time through the PredictionEngine, over all rounds.</summary>
    public int PerRowRows { get; init; } = 96;
    /// <summary>Catalog training steps before inference (only to get a fitted transformer).</summary>
    public int InferenceTrainingSteps { get; init; } = 2;
    /// <summary>Rounds of the OpenMP thread-settings comparison (child processes; 0 skips it).</summary>
    public int ThreadRounds { get; init; }
    /// <summary>Also write the markdown report to this file.</summary>
    public string? OutputFile { get; init; }

    public const string Usage = """
        perf [--layers N] [--batch N] [--length N] [--warmup N] [--rounds N] [--uselite-rounds N] [--memory-rounds N] [--uselite-memory-rounds N] [--models uselite,bert]
             [--no-training] [--no-inference] [--per-row N] [--inference-rounds N] [--train-steps N] [--threads-rounds N] [--out FILE]
        """;

    public static PerfOptions Parse(IReadOnlyList<string> args)
    {
        var options = new PerfOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string flag = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{flag} needs a value.\n{Usage}");
            int Count(int minimum)
            {
                string text = Value();
                return int.TryParse(text, out int value) && value >= minimum
                    ? value
                    : throw new ArgumentOutOfRangeException(flag, text, $"{flag} must be an integer of at least {minimum}; found '{text}'.");
            }
            options = flag switch
            {
                "--layers" => options with { Layers = Count(1) },
                "--batch" => options with { BatchSize = Count(1) },
                "--length" => options with { SequenceLength = Count(2) },
                "--warmup" => options with { WarmupRounds = Count(0) },
                "--rounds" => options with { TimedRounds = Count(1) },
                "--uselite-rounds" => options with { UseLiteTimedRounds = Count(1) },
                "--memory-rounds" => options with { MemoryRounds = Count(0) },
                "--uselite-memory-rounds" => options with { UseLiteMemoryRounds = Count(0) },
                "--models" => options with { Models = ParseModels(Value()) },
                "--no-inference" => options with { Inference = false },
                "--no-training" => options with { Training = false },
                "--per-row" => options with { PerRowRows = Count(1) },
                "--inference-rounds" => options with { InferenceRounds = Count(1) },
                "--train-steps" => options with { InferenceTrainingSteps = Count(1) },
                "--threads-rounds" => options with { ThreadRounds = Count(0) },
                "--out" => options with { OutputFile = Value() },
                _ => throw new ArgumentException($"Unknown option '{flag}'.\n{Usage}"),
            };
        }
        return options;
    }

    private static string[] ParseModels(string text)
    {
        var models = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var model in models)
        {
            if (model is not (BenchmarkModel.BertKey or BenchmarkModel.UseLiteKey))
                throw new ArgumentOutOfRangeException("--models", model, $"--models takes {BenchmarkModel.UseLiteKey} and/or {BenchmarkModel.BertKey}; found '{model}'.");
        }
        return models;
    }
}
