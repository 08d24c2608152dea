using System.CommandLine;
using Microsoft.ML.DeltaLoRA;
using Microsoft.ML.DeltaLoRA.Modeling;
using System.Globalization;
using DeltaLoRA.Bench.Angles;
using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Reporting;
using DeltaLoRA.Bench.Spectrum;
using DeltaLoRA.Bench.Study;

namespace DeltaLoRA.Bench;

/// <summary>
/// The bench's command line: <c>study</c> (every task × method, learning-rate selection, final seeds, report) and
/// <c>sensitivity</c> (Delta-LoRA's λ × K grid on one task), <c>spectrum</c> (singular values of each method's weight change) and
/// <c>ranks</c>, <c>paired</c> and <c>controls</c> (reports of runs already made), <c>calibrate</c> (full-data runs), <c>angles</c>
/// (the principal angles between saved models' weight changes). Options given explicitly override the defaults, or the
/// <c>--quick</c> smoke configuration.
/// </summary>
internal static class BenchCommandLine
{
    private static readonly Option<string> Out = new("--out") { Description = "Output folder (runs.csv, losses.csv, results.md, plots/). Runs already in its runs.csv are skipped.", Required = true };
    private static readonly Option<string?> Data = new("--data") { Description = "GLUE folder with sst2/, mrpc/, cola/, rte/, stsb/ (default: ../shared/data/glue beside the repository, or $DELTALORA_SHARED/data/glue)." };
    private static readonly Option<string?> Model = new("--model") { Description = "Model name (minilm, arctic-xs, use-lite; build/fetch-model.sh NAME) or local folder (Hugging Face or USE-Lite); default: the library's default model, USE-Lite." };
    private static readonly Option<SentencePooling?> Pooling = new("--pooling") { Description = "How a BERT head reads the tokens (Pooler, ClsToken, MeanOfTokens); default: the model's own. Runs with another pooling belong in another --out folder." };
    private static readonly Option<SentencePairEncoding?> PairEncoding = new("--pair-encoding") { Description = "How pair tasks are read: CrossEncoder (one sequence, default) or BiEncoder (each text alone, head on [u, v, |u-v|, u*v]). Runs with another encoding belong in another --out folder." };
    private static readonly Option<bool> Quick = new("--quick") { Description = "Tiny smoke configuration (about a minute on USE-Lite); its numbers are not evidence. Other options still override it." };
    private static readonly Option<string[]> Tasks = ListOption("--tasks", "GLUE tasks: sst2, mrpc, cola, rte, stsb (default: all).");
    private static readonly Option<string[]> Methods = ListOption("--methods", "Methods: DeltaLoRA, LoRA, Full, Frozen (default: all).");
    private static readonly Option<int?> Seeds = new("--seeds") { Description = "Number of final seeds (1..N); default 3." };
    private static readonly Option<int?> TrainSize = new("--train-size") { Description = $"Rows drawn from each training split, validation included (default {StudySettings.DefaultTrainSize})." };
    private static readonly Option<double?> ValidationFraction = new("--validation-fraction") { Description = "Share of the training subsample held out to choose the learning rate (default 0.1)." };
    private static readonly Option<int?> DevSize = new("--dev-size") { Description = "Score only a seeded subsample of dev (smoke runs only; default: all of dev)." };
    private static readonly Option<int?> Steps = new("--steps") { Description = $"Optimizer steps per fine-tuning run, the same for every method (default {StudySettings.DefaultSteps})." };
    private static readonly Option<int?> Epochs = new("--epochs") { Description = "Instead of --steps: epochs over each task's training rows (same steps for every method of a task)." };
    private static readonly Option<int?> BatchSize = new("--batch-size") { Description = "Rows per optimizer step (default 16)." };
    private static readonly Option<int?> MaxLength = new("--max-length") { Description = "Longest tokenized input (default 128)." };
    private static readonly Option<string[]> LrGrid = ListOption("--lr-grid", "Learning-rate grid of a method, e.g. --lr-grid DeltaLoRA=5e-4,1e-3 --lr-grid Full=1e-4. One value skips selection.", splitOnComma: false);
    private static readonly Option<int?> Rank = new("--rank") { Description = "Adapter rank r (default 8)." };
    private static readonly Option<double?> Alpha = new("--alpha") { Description = "Adapter α (default 16)." };
    private static readonly Option<double?> Lambda = new("--lambda") { Description = "Delta-LoRA update ratio λ (default 0.5)." };
    private static readonly Option<int?> StartSteps = new("--start-steps") { Description = "Delta-LoRA K (default: the warmup steps)." };
    private static readonly Option<int?> LogEvery = new("--log-every") { Description = "Progress line every N steps (default 50)." };
    private static readonly Option<bool> RawTargets = new("--raw-targets") { Description = "Train STS-B on the raw 0–5 scores instead of standardized ones (correlations are unaffected by the scaling, training is)." };
    private static readonly Option<int?> Threads = new("--threads")
    {
        Description = "libtorch CPU threads (default 1: on a shared machine two threads wait on each other at every parallel op; results do not depend on it).",
    };

    private static readonly Option<string> Task = new("--task") { Description = "The task of the sensitivity grid.", DefaultValueFactory = _ => "sst2" };
    private static readonly Option<double?> LearningRate = new("--lr") { Description = "Learning rate of the sensitivity runs (default: chosen on validation from the DeltaLoRA grid)." };
    private static readonly Option<string[]> Lambdas = ListOption("--lambdas", "λ values (default 0, 0.25, 0.5, 1, 2).");
    private static readonly Option<string[]> StartMultiples = ListOption("--k-multiples", "K values as multiples of the warmup steps (default 0, 1, 2).");

    private static readonly Option<double> CommonLearningRate = new("--lr")
    {
        Description = $"The learning rate every method of the spectrum runs uses (default {SpectrumStudy.DefaultLearningRate}).",
        DefaultValueFactory = _ => SpectrumStudy.DefaultLearningRate,
    };
    private static readonly Option<string> StudyFolder = new("--study")
    {
        Description = "The study folder of run-study-minilm.sh: OUT/main (the main study's rank) and OUT/rank/r{R}-{task} (the other ranks).",
        Required = true,
    };
    private static readonly Option<string[]> Ranks = ListOption("--ranks", "Adapter ranks of the sweep (default 1, 2, 4, 8, 16).");
    private static readonly Option<int> MainRank = new("--main-rank")
    {
        Description = $"The rank of the main study's runs in OUT/main (default {RankSweep.DefaultMainRank}).",
        DefaultValueFactory = _ => RankSweep.DefaultMainRank,
    };
    private static readonly Option<string> RunsFile = new("--runs")
    {
        Description = "A study's runs.csv; the table is written to paired.md beside it.",
        Required = true,
    };
    private static readonly Option<string?> Rates = new("--rates")
    {
        Description = "A study's runs.csv whose final runs give each task × method's learning rate (--lr-grid Method=RATE overrides a method).",
    };
    private static readonly Option<int?> Patience = new("--patience")
    {
        Description = $"Early stopping: stop after this many epochs without a better validation metric; 0 runs every epoch (default {CalibrationPlan.DefaultPatience}). The best epoch's weights are kept either way.",
    };
    private static readonly Option<string?> Commit = new("--commit") { Description = "The commit of this build, recorded with every run (run-calibration-minilm.sh passes it)." };
    private static readonly Option<string> CalibrationFile = new("--csv")
    {
        Description = "A calibration.csv; the summary is written to calibration.md beside it.",
        Required = true,
    };
    private static readonly Option<string> ControlsFolder = new("--folder")
    {
        Description = "The OUT folder of run-controls-minilm.sh (alpha16/r{R}-{task}, alpha2r/r{R}-{task}, build.txt).",
        Required = true,
    };
    private static readonly Option<string> ChoosingStudy = new("--study")
    {
        Description = "The study folder whose final runs give the rates each arm runs at (main/ for r 8, rank/r{R}-{task}/ for the others).",
        Required = true,
    };
    private static readonly Option<string> ReportFile = new("--out") { Description = "The markdown file to write.", Required = true };
    private static readonly Option<int> SpectrumSeed = new("--seed") { Description = "The seed of the spectrum runs (default 1).", DefaultValueFactory = _ => 1 };

    private static readonly Option<string[]> Pairs = new("--pair")
    {
        Description = "Two saved LoRA/Delta-LoRA models to compare, as LABEL=FIRST.zip,SECOND.zip (full or compact zips; repeat for more pairs).",
        Required = true,
        AllowMultipleArgumentsPerToken = false,
    };
    private static readonly Option<string> AnglesOut = new("--out") { Description = "Folder for angles.md and angles.csv (replaced).", Required = true };
    private static readonly Option<int> RandomDraws = new("--random-draws")
    {
        Description = $"Pairs of random subspaces drawn for the reference of each dimension pair (default {RandomSubspaces.DefaultDraws}).",
        DefaultValueFactory = _ => RandomSubspaces.DefaultDraws,
    };

    public static RootCommand Build(TextWriter log)
    {
        var shared = new Option[] { Out, Data, Model, Pooling, PairEncoding, Quick, Seeds, TrainSize, ValidationFraction, DevSize, Steps, Epochs, BatchSize, MaxLength, LrGrid, Rank, Alpha, Lambda, StartSteps, LogEvery, RawTargets, Threads };

        var study = new Command("study", "Fine-tune with DeltaLoRA, LoRA and Full (plus the frozen-embedding baseline) on GLUE; choose each learning rate on validation; report dev over seeds.");
        foreach (var option in shared) study.Options.Add(option);
        study.Options.Add(Tasks);
        study.Options.Add(Methods);
        study.SetAction(parse => Guarded(log, () => WithThreads(parse, () =>
        {
            using var runner = new StudyRunner(Settings(parse), log);
            runner.Run();
        })));

        var sensitivity = new Command("sensitivity", "Delta-LoRA's sensitivity to λ and K on one task.");
        foreach (var option in shared) sensitivity.Options.Add(option);
        sensitivity.Options.Add(Task);
        sensitivity.Options.Add(LearningRate);
        sensitivity.Options.Add(Lambdas);
        sensitivity.Options.Add(StartMultiples);
        sensitivity.SetAction(parse => Guarded(log, () => WithThreads(parse, () =>
        {
            var task = GlueTask.Parse(parse.GetValue(Task)!);
            var settings = Settings(parse) with { Tasks = [task], Methods = [StudyMethod.DeltaLoRA] };
            using var runner = new StudyRunner(settings, log);
            SensitivityStudy.Run(runner, task, parse.GetValue(LearningRate),
                Doubles(parse.GetValue(Lambdas), "--lambdas") ?? SensitivityStudy.DefaultLambdas,
                Doubles(parse.GetValue(StartMultiples), "--k-multiples") ?? SensitivityStudy.DefaultStartMultiples, log);
        })));

        var spectrum = new Command("spectrum",
            "Fine-tune each task with DeltaLoRA, LoRA and Full at one common learning rate and seed; write the singular values of W_eff,T − W_0 of every adapted query/value matrix, and the loss curves (default tasks: sst2, mrpc).");
        foreach (var option in shared) spectrum.Options.Add(option);
        spectrum.Options.Add(Tasks);
        spectrum.Options.Add(Methods);
        spectrum.Options.Add(CommonLearningRate);
        spectrum.Options.Add(SpectrumSeed);
        spectrum.SetAction(parse => Guarded(log, () => WithThreads(parse, () =>
        {
            var settings = Settings(parse);
            if (parse.GetValue(Tasks) is not { Length: > 0 }) settings = settings with { Tasks = SpectrumStudy.DefaultTasks };
            if (parse.GetValue(Methods) is not { Length: > 0 }) settings = settings with { Methods = SpectrumStudy.DefaultMethods };
            using var runner = new StudyRunner(settings, log);
            SpectrumStudy.Run(runner, parse.GetValue(CommonLearningRate), parse.GetValue(SpectrumSeed), log);
        })));

        var ranks = new Command("ranks",
            "Report a rank sweep without making a run: per task, method and r, the chosen rate, dev over seeds and the late training loss; writes OUT/rank/summary.md and OUT/rank/plots/rank-{task}.png (default tasks: sst2, mrpc, cola).");
        ranks.Options.Add(StudyFolder);
        ranks.Options.Add(Tasks);
        ranks.Options.Add(Ranks);
        ranks.Options.Add(MainRank);
        ranks.SetAction(parse => Guarded(log, () =>
        {
            var tasks = parse.GetValue(Tasks) is { Length: > 0 } names ? names.Select(GlueTask.Parse).Distinct().ToArray() : RankSweep.DefaultTasks;
            var rankValues = parse.GetValue(Ranks) is { Length: > 0 } given
                ? given.Select(v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int r) ? r
                    : throw new ArgumentOutOfRangeException("--ranks", v, $"--ranks takes whole numbers; found '{v}'.")).ToArray()
                : RankSweep.DefaultRanks;
            var folder = parse.GetValue(StudyFolder)!;
            var path = RankSweep.Write(RankSweep.Read(folder, tasks, rankValues, parse.GetValue(MainRank)), folder);
            log.WriteLine($"Rank sweep report written to {path}");
        }));

        var paired = new Command("paired",
            "Compare Delta-LoRA with LoRA seed by seed in a study's runs.csv without making a run: per task, the mean difference on dev with its 95% interval, the paired t, the sign test and Welch's t; writes paired.md beside the runs.csv.");
        paired.Options.Add(RunsFile);
        paired.Options.Add(Tasks);
        paired.SetAction(parse => Guarded(log, () =>
        {
            var runs = parse.GetValue(RunsFile)!;
            if (!File.Exists(runs)) throw new FileNotFoundException($"--runs: '{runs}' does not exist; give a study's runs.csv.", runs);
            var tasks = parse.GetValue(Tasks) is { Length: > 0 } names ? names.Select(GlueTask.Parse).Distinct().ToArray() : GlueTask.All;
            // The losses beside the runs, where there are any, check that runs with the same seed drew alike (SharedDraws).
            var losses = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(runs))!, StudyRunner.LossesFileName);
            var path = PairedMarkdown.Write(RunLog.Open(runs), File.Exists(losses) ? LossLog.Open(losses) : null, tasks);
            log.WriteLine($"Paired comparison written to {path}");
        }));

        var calibrate = new Command("calibrate",
            "Fine-tune each task on its whole training split (less the validation split) for up to --epochs (default: SST-2 3, the others 10) with early stopping on validation, at the rates a study chose (--rates) or given (--lr-grid, one value each); score dev; append each run to calibration.csv and summarize it in calibration.md (default: 1 seed, DeltaLoRA, LoRA, Full).");
        foreach (var option in shared) calibrate.Options.Add(option);
        calibrate.Options.Add(Tasks);
        calibrate.Options.Add(Methods);
        calibrate.Options.Add(Rates);
        calibrate.Options.Add(Patience);
        calibrate.Options.Add(Commit);
        calibrate.SetAction(parse => Guarded(log, () => WithThreads(parse, () =>
        {
            var (settings, plan) = CalibrationSettings(parse);
            CalibrationRunner.Run(settings, plan, log);
        })));

        var calibrationSummary = new Command("calibration-summary", "Write calibration.md from a calibration.csv (finished runs so far) without making a run.");
        calibrationSummary.Options.Add(CalibrationFile);
        calibrationSummary.SetAction(parse => Guarded(log, () =>
        {
            var csv = parse.GetValue(CalibrationFile)!;
            if (!File.Exists(csv)) throw new FileNotFoundException($"--csv: '{csv}' does not exist; give a calibration.csv.", csv);
            log.WriteLine($"Calibration summary written to {CalibrationRunner.WriteSummary(CalibrationLog.Open(csv))}");
        }));

        var angles = new Command("angles",
            "Compare the weight changes W_T − W_0 that saved LoRA/Delta-LoRA models record, matrix by matrix, without making a run: the principal angles between their column spaces and top-r subspaces (beside random subspaces of the same dimensions), the Frobenius norm ratio, cosine and shared energy; writes angles.md and angles.csv.");
        angles.Options.Add(Pairs);
        angles.Options.Add(AnglesOut);
        angles.Options.Add(RandomDraws);
        angles.SetAction(parse => Guarded(log, () =>
        {
            int draws = parse.GetValue(RandomDraws);
            if (draws < 1) throw new ArgumentOutOfRangeException("--random-draws", draws, $"--random-draws must be at least 1; found {draws}.");
            var pairs = parse.GetValue(Pairs)!.Select(ParsePair).Select(p => ChangePair.Compare(p.Label, SavedDelta.Read(p.First), SavedDelta.Read(p.Second))).ToArray();
            log.Write(AnglesReport.Write(pairs, parse.GetValue(AnglesOut)!, draws));
        }));

        var controls = new Command("controls",
            "Report the MiniLM controls (run-controls-minilm.sh) without making a run: Delta-LoRA − LoRA per arm, rank and task at the chosen rates and at each method's rate, and the α = 2r arm − the α 16 arm per method and rank, all paired by seed.");
        controls.Options.Add(ControlsFolder);
        controls.Options.Add(ChoosingStudy);
        controls.Options.Add(ReportFile);
        controls.SetAction(parse => Guarded(log, () =>
        {
            var path = parse.GetValue(ReportFile)!;
            ControlsReport.Write(ControlsReport.Read(parse.GetValue(ControlsFolder)!, parse.GetValue(ChoosingStudy)!), path);
            log.WriteLine($"Controls report written to {Path.GetFullPath(path)}");
        }));

        var root = new RootCommand("Accuracy study of Delta-LoRA vs LoRA vs full fine-tuning on GLUE, through Microsoft.ML.DeltaLoRA's ML.NET API.");
        root.Subcommands.Add(study);
        root.Subcommands.Add(sensitivity);
        root.Subcommands.Add(spectrum);
        root.Subcommands.Add(ranks);
        root.Subcommands.Add(paired);
        root.Subcommands.Add(calibrate);
        root.Subcommands.Add(calibrationSummary);
        root.Subcommands.Add(angles);
        root.Subcommands.Add(controls);
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code (1 with a one-line message for bad input).</summary>
    public static int Invoke(string[] args, TextWriter log) => Build(log).Parse(args).Invoke();

    /// <summary>The settings the parsed options describe (see the option descriptions for the defaults).</summary>
    public static StudySettings Settings(ParseResult parse)
    {
        var output = parse.GetValue(Out)!;
        var glue = GlueDataLocator.Resolve(parse.GetValue(Data));
        var model = parse.GetValue(Model) is { } named ? NamedModels.ResolveFolder(named) : null;

        var settings = parse.GetValue(Quick) ? StudySettings.Quick(output, glue, model) : new StudySettings { OutputFolder = output, GlueRoot = glue, ModelPath = model };
        if (parse.GetValue(Tasks) is { Length: > 0 } tasks) settings = settings with { Tasks = tasks.Select(GlueTask.Parse).Distinct().ToArray() };
        if (parse.GetValue(Methods) is { Length: > 0 } methods) settings = settings with { Methods = methods.Select(StudyMethods.Parse).Distinct().ToArray() };
        if (parse.GetValue(Seeds) is int seeds) settings = settings with { SeedCount = seeds };
        if (parse.GetValue(TrainSize) is int trainSize) settings = settings with { TrainSize = trainSize };
        if (parse.GetValue(ValidationFraction) is double fraction) settings = settings with { ValidationFraction = fraction };
        if (parse.GetValue(DevSize) is int devSize) settings = settings with { DevSize = devSize };
        var (steps, epochs) = (parse.GetValue(Steps), parse.GetValue(Epochs));
        if (steps is not null && epochs is not null) throw new ArgumentOutOfRangeException("--epochs", epochs, "Give --steps or --epochs, not both.");
        if (steps is int s) settings = settings with { Steps = s, Epochs = null };
        if (epochs is int e) settings = settings with { Steps = null, Epochs = e };
        if (parse.GetValue(BatchSize) is int batch) settings = settings with { BatchSize = batch };
        if (parse.GetValue(MaxLength) is int maxLength) settings = settings with { MaxSequenceLength = maxLength };
        if (parse.GetValue(LrGrid) is { Length: > 0 } grids) settings = settings with { LearningRates = ParseGrids(grids, settings.LearningRates) };
        if (parse.GetValue(Rank) is int rank) settings = settings with { Rank = rank };
        if (parse.GetValue(Pooling) is { } pooling) settings = settings with { Pooling = pooling };
        if (parse.GetValue(PairEncoding) is { } pairEncoding) settings = settings with { PairEncoding = pairEncoding };
        if (parse.GetValue(Alpha) is double alpha) settings = settings with { Alpha = alpha };
        if (parse.GetValue(Lambda) is double lambda) settings = settings with { UpdateRatio = lambda };
        if (parse.GetValue(StartSteps) is int k) settings = settings with { StartSteps = k };
        if (parse.GetValue(LogEvery) is int every) settings = settings with { LogEvery = every };
        settings = settings with { Threads = ThreadCount(parse) };
        if (parse.GetValue(RawTargets)) settings = settings with { StandardizeTargets = false };
        settings.Validate();
        return settings;
    }

    /// <summary>
    /// The study settings and plan of <c>calibrate</c>: the shared options, except that the training rows default to the whole split
    /// (outside --quick), the seeds to 1 and the methods to the three fine-tuning ones; --epochs sets every task's budget (default
    /// <see cref="CalibrationPlan.DefaultMaxEpochs"/>), --steps is refused (a calibration run is counted in epochs).
    /// </summary>
    public static (StudySettings Settings, CalibrationPlan Plan) CalibrationSettings(ParseResult parse)
    {
        if (parse.GetValue(Steps) is int steps) throw new ArgumentOutOfRangeException("--steps", steps, "calibrate trains for up to --epochs epochs with early stopping; --steps does not apply.");
        var settings = Settings(parse);
        if (parse.GetValue(TrainSize) is null && !parse.GetValue(Quick)) settings = settings with { TrainSize = int.MaxValue };
        if (parse.GetValue(Seeds) is null) settings = settings with { SeedCount = 1 };
        if (parse.GetValue(Methods) is not { Length: > 0 }) settings = settings with { Methods = StudyMethods.All.Where(m => m.FineTunes()).ToArray() };
        var epochs = parse.GetValue(Epochs) is int e
            ? GlueTask.All.ToDictionary(t => t.Name, _ => e)
            : CalibrationPlan.DefaultMaxEpochs;
        int patience = parse.GetValue(Patience) ?? CalibrationPlan.DefaultPatience;
        if (patience < 0) throw new ArgumentOutOfRangeException("--patience", patience, $"--patience must be 0 or more; found {patience}.");
        var given = parse.GetValue(LrGrid) is { Length: > 0 } grids ? ParseGrids(grids, new Dictionary<StudyMethod, double[]>()) : new Dictionary<StudyMethod, double[]>();
        foreach (var (method, grid) in given)
            if (grid.Length != 1) throw new ArgumentOutOfRangeException("--lr-grid", string.Join(",", grid), $"calibrate runs one learning rate per method; give --lr-grid {method}=RATE.");
        var studyRates = parse.GetValue(Rates) is { } runs ? ChosenRates.Read(runs, StudyRunner.ModelNameOf(settings.ModelPath)) : null;
        var plan = new CalibrationPlan(epochs, patience, given.ToDictionary(p => p.Key, p => p.Value[0]), studyRates, parse.GetValue(Commit) ?? "");
        // The runner sets each task's epochs from the plan; one epoch here only keeps the settings valid on their own.
        return (settings with { Steps = null, Epochs = 1 }, plan);
    }

    /// <summary>"Method=rate,rate,…" entries replacing those methods' grids.</summary>
    public static IReadOnlyDictionary<StudyMethod, double[]> ParseGrids(IEnumerable<string> entries, IReadOnlyDictionary<StudyMethod, double[]> defaults)
    {
        var grids = defaults.ToDictionary(p => p.Key, p => p.Value);
        foreach (var entry in entries)
        {
            var parts = entry.Split('=', 2);
            if (parts.Length != 2 || parts[1].Trim().Length == 0)
                throw new ArgumentOutOfRangeException("--lr-grid", entry, $"--lr-grid takes Method=rate,rate,… (for example DeltaLoRA=5e-4,1e-3); found '{entry}'.");
            var method = StudyMethods.Parse(parts[0]);
            if (!method.FineTunes()) throw new ArgumentOutOfRangeException("--lr-grid", entry, "The frozen baseline has no learning rate.");
            grids[method] = Doubles(parts[1].Split(','), "--lr-grid")!.ToArray();
        }
        return grids;
    }

    /// <summary>"LABEL=FIRST.zip,SECOND.zip".</summary>
    public static (string Label, string First, string Second) ParsePair(string entry)
    {
        var parts = entry.Split('=', 2);
        var files = parts.Length == 2 ? parts[1].Split(',') : [];
        if (parts.Length != 2 || parts[0].Trim().Length == 0 || files.Length != 2 || files.Any(f => f.Trim().Length == 0))
            throw new ArgumentOutOfRangeException("--pair", entry, $"--pair takes LABEL=FIRST.zip,SECOND.zip; found '{entry}'.");
        return (parts[0].Trim(), files[0].Trim(), files[1].Trim());
    }

    private static IReadOnlyList<double>? Doubles(string[]? values, string option)
    {
        if (values is null || values.Length == 0) return null;
        return values.Select(v => double.TryParse(v.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? d
            : throw new ArgumentOutOfRangeException(option, v, $"{option} takes numbers; found '{v}'.")).ToArray();
    }

    private static Option<string[]> ListOption(string name, string description, bool splitOnComma = true) => new(name)
    {
        Description = description,
        AllowMultipleArgumentsPerToken = true,
        CustomParser = result => result.Tokens
            .SelectMany(t => splitOnComma ? t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [t.Value])
            .ToArray(),
    };

    private static int ThreadCount(ParseResult parse)
    {
        int threads = parse.GetValue(Threads) ?? 1;
        if (threads < 1) throw new ArgumentOutOfRangeException("--threads", threads, $"--threads must be at least 1; found {threads}.");
        return threads;
    }

    /// <summary>
    /// Runs <paramref name="action"/> with libtorch's intra-op thread count set by --threads (for the bench's own tensor code; the
    /// trainer gets the count as <see cref="StudySettings.Threads"/>), then restores the previous count.
    /// </summary>
    private static void WithThreads(ParseResult parse, Action action)
    {
        int threads = ThreadCount(parse);
        // TorchThreads.DefaultCount is libtorch's count when the library first asks for it: asked here, before the change, it
        // stays libtorch's own for whatever runs in this process afterwards (the tests run these commands in their process).
        _ = TorchThreads.DefaultCount;
        int previous = TorchSharp.torch.get_num_threads();
        TorchSharp.torch.set_num_threads(threads);
        try
        {
            action();
        }
        finally
        {
            TorchSharp.torch.set_num_threads(previous);
        }
    }

    private static int Guarded(TextWriter log, Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidDataException or InvalidOperationException or FileNotFoundException or DirectoryNotFoundException)
        {
            log.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
