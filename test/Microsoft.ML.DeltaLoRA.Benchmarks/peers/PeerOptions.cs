namespace Microsoft.ML.DeltaLoRA.Benchmarks.Peers;

/// <summary>Command-line options of the <c>peers</c> report.</summary>
internal sealed record PeerOptions
{
    public const string Usage = """
        peers [--shapes minilm,minilm-dropout0,bert] [--minilm-rounds 8] [--bert-rounds 3] [--layers 12] [--batch 16] [--length 128]
              [--inference-rounds 3] [--per-row 96] [--mlnet-rounds 2] [--mlnet-train-rows 256]
              [--no-training] [--no-inference] [--no-mlnet] [--out FILE]
        """;

    public IReadOnlyList<string> Shapes { get; init; } = ["minilm", "minilm-dropout0", "bert"];
    public int MiniLMRounds { get; init; } = 8;
    public int BertRounds { get; init; } = 3;
    public int Layers { get; init; } = 12;
    public int BatchSize { get; init; } = 16;
    public int SequenceLength { get; init; } = 128;
    public int InferenceRounds { get; init; } = 3;
    public int PerRowRows { get; init; } = 96;
    public int MlNetRounds { get; init; } = 2;
    public int MlNetTrainRows { get; init; } = 256;
    public bool MlNet { get; init; } = true;
    public bool Training { get; init; } = true;
    public bool Inference { get; init; } = true;
    public string? OutputFile { get; init; }

    public static PeerOptions Parse(string[] args)
    {
        var options = new PeerOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.\n{Usage}");
            int Positive() => int.TryParse(Value(), out int n) && n > 0 ? n : throw new ArgumentException($"{args[i - 1]} needs a positive whole number, found '{args[i]}'.\n{Usage}");
            options = args[i] switch
            {
                "--shapes" => options with { Shapes = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--minilm-rounds" => options with { MiniLMRounds = Positive() },
                "--bert-rounds" => options with { BertRounds = Positive() },
                "--layers" => options with { Layers = Positive() },
                "--batch" => options with { BatchSize = Positive() },
                "--length" => options with { SequenceLength = Positive() },
                "--inference-rounds" => options with { InferenceRounds = Positive() },
                "--per-row" => options with { PerRowRows = Positive() },
                "--mlnet-rounds" => options with { MlNetRounds = Positive() },
                "--mlnet-train-rows" => options with { MlNetTrainRows = Positive() },
                "--no-mlnet" => options with { MlNet = false },
                "--no-training" => options with { Training = false },
                "--no-inference" => options with { Inference = false },
                "--out" => options with { OutputFile = Value() },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'.\n{Usage}"),
            };
        }
        var unknown = options.Shapes.Where(s => s is not ("minilm" or "minilm-dropout0" or "bert")).ToArray();
        if (unknown.Length > 0) throw new ArgumentException($"Unknown shape(s) {string.Join(", ", unknown)}; expected minilm, minilm-dropout0 and/or bert.\n{Usage}");
        return options;
    }
}
