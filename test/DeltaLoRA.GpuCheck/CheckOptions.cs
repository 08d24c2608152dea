using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.GpuCheck;

/// <summary>The command line of the check, validated once here.</summary>
internal sealed record CheckOptions
{
    public const string Usage = """
        usage: DeltaLoRA.GpuCheck --out DIR [--device cpu|cuda:N] [--shared DIR] [--sections trajectories,update,trainer,steps]
                                  [--quick] [--threads N] [--steps N] [--shapes bert-base,minilm-l6]
          --device    where to run (default cpu); cuda:N needs a CUDA libtorch (see build/cuda/README.md)
          --out       folder for report.md and report.json (created)
          --shared    the shared fixtures and data (default: $DELTALORA_SHARED, a shared/ folder beside or above the program,
                      or ../shared beside the repository)
          --sections  which checks to run (default all)
          --quick     tiny shapes and few steps for the step timings and a smaller training set (the test suite's mode)
          --threads   torch CPU threads (default: libtorch's choice)
          --steps     timed steps per method in the step timings (default 20, quick 2)
          --shapes    the model shapes of the step timings (default bert-base,minilm-l6; quick: tiny)
        """;

    public static readonly string[] AllSections = ["trajectories", "update", "trainer", "steps"];

    public required string DeviceName { get; init; }
    public required string OutputFolder { get; init; }
    public required string SharedFolder { get; init; }
    public required IReadOnlyList<string> Sections { get; init; }
    public bool Quick { get; init; }
    public int? Threads { get; init; }
    public int TimedSteps { get; init; }
    public required IReadOnlyList<ModelShape> Shapes { get; init; }

    public bool IsCuda => DeviceName.StartsWith("cuda", StringComparison.Ordinal);

    public int? GpuDeviceId => IsCuda ? int.Parse(DeviceName["cuda:".Length..], System.Globalization.CultureInfo.InvariantCulture) : null;

    /// <summary>The TorchSharp device; initialises the CUDA backend (and fails clearly without one) on first use.</summary>
    public Device Device()
    {
        if (!IsCuda) return CPU;
        if (!torch.cuda.is_available())
            throw new InvalidOperationException($"--device {DeviceName}: CUDA is not available to TorchSharp. Put a CUDA libtorch (the PyTorch wheel's torch/lib) "
                + "and a libLibTorchSharp.so built against it (build/cuda/build-native.sh) on LD_LIBRARY_PATH.");
        if (GpuDeviceId >= torch.cuda.device_count())
            throw new InvalidOperationException($"--device {DeviceName}: only {torch.cuda.device_count()} CUDA device(s) exist.");
        return torch.device(DeviceName);
    }

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> with the problem and the usage.</summary>
    public static CheckOptions Parse(IReadOnlyList<string> args)
    {
        string device = "cpu";
        string? output = null, shared = null;
        IReadOnlyList<string> sections = AllSections;
        bool quick = false;
        int? threads = null, steps = null;
        IReadOnlyList<string>? shapes = null;
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw Problem($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--device": device = Value(); break;
                case "--out": output = Value(); break;
                case "--shared": shared = Value(); break;
                case "--sections": sections = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--quick": quick = true; break;
                case "--threads": threads = PositiveInt(args[i], Value()); break;
                case "--steps": steps = PositiveInt(args[i], Value()); break;
                case "--shapes": shapes = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                default: throw Problem($"unknown argument '{args[i]}'");
            }
        }
        if (device != "cpu" && !System.Text.RegularExpressions.Regex.IsMatch(device, "^cuda:[0-9]+$"))
            throw Problem($"--device must be cpu or cuda:N; found '{device}'");
        if (output is null) throw Problem("--out is required");
        if (sections.FirstOrDefault(s => !AllSections.Contains(s)) is string unknown)
            throw Problem($"unknown section '{unknown}'; expected some of {string.Join(',', AllSections)}");
        if (shapes?.FirstOrDefault(s => !ModelShape.All.Any(m => m.Name == s)) is string unknownShape)
            throw Problem($"unknown shape '{unknownShape}'; expected some of {string.Join(',', ModelShape.All.Select(m => m.Name))}");
        shared ??= SharedFolderNear(AppContext.BaseDirectory)
            ?? throw Problem("found no shared fixtures folder; pass --shared DIR or set DELTALORA_SHARED");
        if (!Directory.Exists(Path.Combine(shared, "fixtures", "trajectories")))
            throw Problem($"--shared '{shared}' has no fixtures/trajectories folder");
        return new CheckOptions
        {
            DeviceName = device,
            OutputFolder = Path.GetFullPath(output),
            SharedFolder = Path.GetFullPath(shared),
            Sections = sections,
            Quick = quick,
            Threads = threads,
            TimedSteps = steps ?? (quick ? 2 : 20),
            Shapes = shapes?.Select(name => ModelShape.All.First(m => m.Name == name)).ToList()
                ?? (quick ? [ModelShape.Tiny] : [ModelShape.BertBase, ModelShape.MiniLM]),
        };
    }

    private static int PositiveInt(string name, string text)
        => int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out int value) && value > 0
            ? value : throw Problem($"{name} must be a positive whole number; found '{text}'");

    private static ArgumentException Problem(string what) => new($"{what}.\n{Usage}");

    private static string? SharedFolderNear(string start)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("DELTALORA_SHARED");
        if (!string.IsNullOrEmpty(fromEnvironment)) return fromEnvironment;
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "shared", "fixtures"))) return Path.Combine(dir.FullName, "shared");
            if (File.Exists(Path.Combine(dir.FullName, "Microsoft.ML.DeltaLoRA.sln")) && Directory.Exists(Path.Combine(dir.FullName, "..", "shared")))
                return Path.Combine(dir.FullName, "..", "shared");
        }
        return null;
    }
}
