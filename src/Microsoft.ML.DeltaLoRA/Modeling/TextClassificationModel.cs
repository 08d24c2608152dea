using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Microsoft.ML.DeltaLoRA.Modeling.UseLite;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using TorchSharp;
using static TorchSharp.torch;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>
/// A tokenizer and a network that belong together, and the files that rebuild both: the family's configuration,
/// the tokenizer files and the weights. This is what a trained model is, whether it came from a pretrained folder
/// (<see cref="LoadPretrained"/>) or from a saved model (<see cref="FromFiles"/>).
/// </summary>
internal sealed class TextClassificationModel : IDisposable
{
    /// <summary>The bundle's own description (format version, family, number of outputs).</summary>
    public const string ManifestFileName = "deltalora-model.json";
    public const string WeightsFileName = "model.safetensors";
    public const int FormatVersion = 1;
    private const string UseLiteConfigFileName = "use-lite-config.json";

    private readonly IReadOnlyDictionary<string, byte[]> _architectureFiles;
    private readonly object _inferenceLock = new();

    private TextClassificationModel(
        SequenceTokenizer tokenizer, SequenceClassifier network, IReadOnlyDictionary<string, byte[]> architectureFiles, IReadOnlyList<string> loadNotes)
    {
        Tokenizer = tokenizer;
        Network = network;
        _architectureFiles = architectureFiles;
        LoadNotes = loadNotes;
    }

    public SequenceTokenizer Tokenizer { get; }
    public SequenceClassifier Network { get; }
    public ModelFamily Family => Network.Family;
    public int NumLabels => Network.NumLabels;
    public Device Device => Network.parameters().First().device;

    /// <summary>
    /// A pretrained encoder with a fresh head of <paramref name="numLabels"/> outputs. <paramref name="modelPath"/> is a
    /// Hugging Face folder (config.json or a torch.onnx export, weights, tokenizer files), a USE-Lite TF.js folder (model.json,
    /// shards, vocab.json), or a model name (<see cref="NamedModels"/>); null means the default model (<see cref="NamedModels.Default"/>).
    /// <paramref name="pooling"/> null takes the model's own: the pooling a sentence-transformers folder declares, else the head's.
    /// <paramref name="pairEncoding"/> is how the head reads text pairs.
    /// </summary>
    public static TextClassificationModel LoadPretrained(string? modelPath, int numLabels, double? dropoutOverride = null, Device? device = null,
        SentencePooling? pooling = null, SentencePairEncoding pairEncoding = SentencePairEncoding.CrossEncoder)
    {
        if (numLabels < 1) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "A model needs at least one output.");
        var folder = NamedModels.ResolveFolder(modelPath);
        if (PeftNames.IsAdapterFolder(folder)) return LoadPeftAdapter(folder, numLabels, dropoutOverride, device, pooling, pairEncoding);

        if (UseLiteModelFiles.IsModelFolder(folder))
        {
            if (pooling is { } chosen && chosen != SentencePooling.MeanOfTokens)
                throw new ArgumentOutOfRangeException(nameof(pooling), chosen, $"Pooling {chosen} is not available for USE-Lite, whose encoder averages its tokens (MeanOfTokens).");
            var tokenizer = UseLiteTokenizer.FromVocabularyFile(Path.Combine(folder, UseLiteModelFiles.VocabularyFileName));
            var network = UseLiteClassifier.FromPretrained(folder, numLabels, dropoutOverride ?? 0.0, pairEncoding);
            MoveTo(network, device);
            var files = new Dictionary<string, byte[]>
            {
                [UseLiteConfigFileName] = JsonSerializer.SerializeToUtf8Bytes(((UseLiteClassifier)network).encoder.Config),
                [UseLiteModelFiles.VocabularyFileName] = File.ReadAllBytes(Path.Combine(folder, UseLiteModelFiles.VocabularyFileName)),
            };
            return new TextClassificationModel(tokenizer, network, files, []);
        }

        var (config, assumed) = EncoderConfig.LoadWithAssumptions(folder);
        DeclaredWeights.Require(config, DeclaredWeights.BytesIn(folder), Path.Combine(folder, EncoderConfig.FileName), $"the folder '{folder}'");
        var notes = assumed.Select(note => $"The config of '{folder}' was derived from model.onnx; assumed {note}.").ToList();
        var hfTokenizer = PretrainedTokenizers.Load(folder, config.Family);
        var (hfNetwork, report) = PretrainedModels.LoadSequenceClassifier(
            config, folder, numLabels, dropoutOverride, device, pooling ?? SentenceTransformersPooling.Read(folder), pairEncoding);
        var freshPooler = report.LeftAsInitialized.Where(name => name.Contains(".pooler.", StringComparison.Ordinal)).ToArray();
        if (freshPooler.Length > 0)
            notes.Add($"'{folder}' has no pooler weights ({string.Join(", ", freshPooler)}): the pooler starts freshly initialised, as in transformers.");
        var hfFiles = PretrainedTokenizers.TokenizerFiles(folder, config.Family)
            .ToDictionary(path => Path.GetFileName(path), File.ReadAllBytes);
        hfFiles[EncoderConfig.FileName] = System.Text.Encoding.UTF8.GetBytes(config.WithNumLabels(numLabels).ToJson());
        return new TextClassificationModel(hfTokenizer, hfNetwork, hfFiles, notes);
    }

    /// <summary>
    /// A PEFT LoRA adapter folder as a starting point: its base with the adapter merged and its head (a fresh head when it saved
    /// none). The head reads the tokens as transformers' does, so another pooling or a bi-encoder is refused.
    /// </summary>
    private static TextClassificationModel LoadPeftAdapter(string folder, int numLabels, double? dropoutOverride, Device? device,
        SentencePooling? pooling, SentencePairEncoding pairEncoding)
    {
        var family = FamilyOf(folder);
        var headPooling = PeftAdapterImport.TransformersPooling(family);
        if (pooling is { } chosen && chosen != headPooling)
            throw new ArgumentOutOfRangeException(nameof(pooling), chosen,
                $"The PEFT adapter '{folder}' has a {family} head that reads the tokens by {headPooling}, as transformers' does; leave Pooling unset or set it to {headPooling}.");
        if (pairEncoding != SentencePairEncoding.CrossEncoder)
            throw new ArgumentOutOfRangeException(nameof(pairEncoding), pairEncoding,
                $"The PEFT adapter '{folder}' has a head that reads a pair as one sequence, as transformers' does; use {nameof(SentencePairEncoding.CrossEncoder)}.");
        return PeftAdapterImport.Load(folder, baseModel: null, numLabels, allowFreshHead: true, dropoutOverride, device);
    }

    /// <summary>The files besides the weights that rebuild the model: the family's <c>config.json</c> and the tokenizer files, by name.</summary>
    public IReadOnlyDictionary<string, byte[]> ArchitectureFiles => _architectureFiles;

    /// <summary>What loading the pretrained model had to assume or initialise afresh (worth a line in the training log each).</summary>
    public IReadOnlyList<string> LoadNotes { get; }

    /// <summary>
    /// The family of the model <see cref="LoadPretrained"/> would load from <paramref name="modelPath"/>, read from its files without
    /// loading weights (a PEFT adapter folder's: its base's).
    /// </summary>
    public static ModelFamily FamilyOf(string? modelPath)
    {
        var folder = NamedModels.ResolveFolder(modelPath);
        if (PeftNames.IsAdapterFolder(folder)) return EncoderConfig.Load(PeftAdapterImport.BaseFolder(folder)).Family;
        return UseLiteModelFiles.IsModelFolder(folder) ? ModelFamily.UseLite : EncoderConfig.Load(folder).Family;
    }

    /// <summary>
    /// The files that rebuild this model with <see cref="FromFiles"/>. Adapters must have been merged into the weights first,
    /// so that the saved model is the base architecture and costs no more than it at inference.
    /// <see cref="ModelSaveMode.Full"/> writes the whole network (<see cref="WeightsFileName"/>) and, for a LoRA or Delta-LoRA
    /// fine-tune, also its <see cref="Delta"/> and <see cref="BaseModel"/> (a few hundred KB), so that it can later be written
    /// compact or as an adapter. <see cref="ModelSaveMode.Compact"/> writes those two in place of the weights; it needs a
    /// <see cref="Delta"/> (full fine-tuning has none: see <see cref="CanSaveCompact"/>).
    /// </summary>
    public IReadOnlyDictionary<string, byte[]> ToFiles(ModelSaveMode mode = ModelSaveMode.Full)
    {
        var adapted = Network.named_modules().FirstOrDefault(m => m.module is LoRALinear { HasAdapter: true });
        if (adapted.module is not null)
            throw new InvalidOperationException($"Layer '{adapted.name}' still has an adapter; merge the adapters into the weights before saving.");
        if (mode == ModelSaveMode.Compact && !CanSaveCompact)
            throw new InvalidOperationException("This model has no record of a LoRA or Delta-LoRA fine-tune (full fine-tuning changes every weight), so it can only be saved in full.");

        var files = new Dictionary<string, byte[]>(_architectureFiles);
        var manifest = new Manifest(FormatVersion, Family.ToString(), NumLabels, Network.Pooling.ToString(), Network.PairEncoding.ToString());
        files[ManifestFileName] = JsonSerializer.SerializeToUtf8Bytes(manifest);
        if (CanSaveCompact)
        {
            files[FineTuneDeltaFile.FileName] = FineTuneDeltaFile.Write(Delta!);
            files[BaseModelReference.FileName] = BaseModel!.ToJson();
        }
        if (mode == ModelSaveMode.Full)
        {
            using var weights = new MemoryStream();
            SafetensorsWriter.Write(weights, ModuleTensors.Export(Network));
            files[WeightsFileName] = weights.ToArray();
        }
        return files;
    }

    /// <summary>What a LoRA or Delta-LoRA fine-tune changed in <see cref="BaseModel"/>; null for full fine-tuning and pretrained models.</summary>
    public FineTuneDelta? Delta { get; private set; }

    /// <summary>The pretrained model <see cref="Delta"/> applies to; null when there is no delta.</summary>
    public BaseModelReference? BaseModel { get; private set; }

    /// <summary>Whether <see cref="ToFiles"/> can write this model compact: it records its delta and its base.</summary>
    public bool CanSaveCompact => Delta is not null && BaseModel is not null;

    /// <summary>Records what fine-tuning changed in <paramref name="baseModel"/>, the model this one was loaded from.</summary>
    public void RecordFineTune(BaseModelReference baseModel, FineTuneDelta delta)
    {
        BaseModel = baseModel ?? throw new ArgumentNullException(nameof(baseModel));
        Delta = delta ?? throw new ArgumentNullException(nameof(delta));
    }

    /// <summary>
    /// Rebuilds a model saved with <see cref="ToFiles"/>; <paramref name="source"/> names the files' origin in errors. A compact
    /// model is rebuilt on its base (<see cref="BaseModelReference.ResolveFolder(string)"/>: found by name in the model cache or at
    /// its folder, with the SHA-256 it was trained on) plus its delta.
    /// </summary>
    public static TextClassificationModel FromFiles(IReadOnlyDictionary<string, byte[]> files, string source, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        var manifest = ReadManifest(files, source);
        if (!Enum.TryParse<ModelFamily>(manifest.Family, out var family))
            throw new InvalidDataException($"'{ManifestFileName}' in {source} names an unknown model family '{manifest.Family}'.");
        var delta = files.TryGetValue(FineTuneDeltaFile.FileName, out var deltaBytes)
            ? FineTuneDeltaFile.Read(deltaBytes, $"'{FineTuneDeltaFile.FileName}' in {source}")
            : null;
        var baseModel = files.TryGetValue(BaseModelReference.FileName, out var baseBytes) ? BaseModelReference.FromJson(baseBytes, source) : null;
        bool compact = !files.ContainsKey(WeightsFileName) && baseModel is not null;
        if (compact && delta is null)
            throw new InvalidDataException($"{source} is compact (it names its base in '{BaseModelReference.FileName}') but has no '{FineTuneDeltaFile.FileName}'.");
        var baseFolder = compact ? baseModel!.ResolveFolder(source) : null;

        using var folder = ModelUnpackFolder.Create();
        foreach (var (name, bytes) in files)
        {
            if (name == WeightsFileName || name == ModelUnpackFolder.LockFileName || name != Path.GetFileName(name)) continue;
            File.WriteAllBytes(Path.Combine(folder.Path, name), bytes);
        }
        var recordNames = new HashSet<string>(StringComparer.Ordinal) { WeightsFileName, ManifestFileName, FineTuneDeltaFile.FileName, BaseModelReference.FileName };
        var architecture = files.Where(f => !recordNames.Contains(f.Key)).ToDictionary(f => f.Key, f => f.Value);
        var pairEncoding = ReadPairEncoding(manifest, source);
        var (tokenizer, network) = Build(folder.Path, family, manifest, pairEncoding, source,
            files.TryGetValue(WeightsFileName, out var packed) ? packed.Length : 0, baseFolder);
        try
        {
            if (compact)
            {
                FineTuneDeltaMerge.AddTo(network, delta!, $"'{FineTuneDeltaFile.FileName}' in {source}");
                RequireFinite(ModuleTensors.Export(network), source);
            }
            else
            {
                if (!files.TryGetValue(WeightsFileName, out var weightBytes))
                    throw new InvalidDataException($"{source} has no '{WeightsFileName}'.");
                using var weights = SafetensorsReader.Read(new MemoryStream(weightBytes), $"{WeightsFileName} in {source}");
                RequireFinite(weights, source);
                ModuleTensors.CopyFrom(network, weights, $"{WeightsFileName} in {source}");
            }
            MoveTo(network, device);
            network.eval();
            var model = new TextClassificationModel(tokenizer, network, architecture, []);
            if (delta is not null && baseModel is not null) model.RecordFineTune(baseModel, delta);
            return model;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Raw outputs (logits, or the regression value) for each row, row-major [rows × NumLabels], in row order.
    /// Rows are scored in <see cref="LengthGroups"/> (tokenized once); <paramref name="text2"/> is null for single-text models.
    /// </summary>
    public float[] PredictRaw(IReadOnlyList<string?> text1, IReadOnlyList<string?>? text2, int maxSequenceLength, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(text1);
        if (text2 is not null && text2.Count != text1.Count)
            throw new ArgumentException($"text2 has {text2.Count} rows but text1 has {text1.Count}.", nameof(text2));

        var sequences = new EncodedSequence[text1.Count];
        for (int i = 0; i < sequences.Length; i++) sequences[i] = Encode(text1[i], text2?[i], maxSequenceLength);
        var output = new float[sequences.Length * NumLabels];

        lock (_inferenceLock)
        {
            Network.eval();
            // Inference mode rather than no-grad: libtorch skips autograd's version counting and view tracking on every op, a
            // fixed cost per op that matters most for one-row forwards. Nothing made here outlives the call, as inference mode requires.
            using var inferenceMode = torch.inference_mode();
            foreach (var rows in LengthGroups.Batches(sequences.Select(s => s.Length).ToArray(), batchSize))
            {
                using var scope = torch.NewDisposeScope();
                using var batch = BatchCollator.Collate(rows.Select(i => sequences[i]).ToArray(), Tokenizer, Device);
                var logits = Network.forward(batch).to(ScalarType.Float32).cpu().data<float>().ToArray();
                for (int r = 0; r < rows.Length; r++)
                    Array.Copy(logits, r * NumLabels, output, rows[r] * NumLabels, NumLabels);
            }
        }
        return output;
    }

    /// <summary>A row as this network reads it (<see cref="SequenceTokenizer.EncodeRow"/>).</summary>
    public EncodedSequence Encode(string? text1, string? text2, int maxSequenceLength)
        => Tokenizer.EncodeRow(text1, text2, maxSequenceLength, Network.PairEncoding);

    public void Dispose() => Network.Dispose();

    /// <summary>
    /// The tokenizer and network the unpacked files describe. The config and tokenizer readers name the files they read,
    /// which are in a temporary folder gone by the time the message is read: the message names <paramref name="source"/> instead.
    /// With <paramref name="baseFolder"/> (a compact model) the network holds that base model's weights; otherwise it is freshly initialised.
    /// </summary>
    private static (SequenceTokenizer, SequenceClassifier) Build(string folder, ModelFamily family, Manifest manifest, SentencePairEncoding pairEncoding, string source,
        long weightBytes, string? baseFolder)
    {
        try
        {
            return family == ModelFamily.UseLite
                ? BuildUseLite(folder, manifest.NumLabels, pairEncoding, source, weightBytes, baseFolder)
                : BuildHuggingFace(folder, family, manifest.NumLabels, ReadPooling(manifest, source), pairEncoding, source, weightBytes, baseFolder);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or FormatException or IOException)
        {
            var message = e.Message.Replace(folder + Path.DirectorySeparatorChar, source + ": ", StringComparison.Ordinal).Replace(folder, source, StringComparison.Ordinal);
            throw new InvalidDataException(message.Contains(source, StringComparison.Ordinal) ? message : $"{source}: {message}", e);
        }
    }

    private static (SequenceTokenizer, SequenceClassifier) BuildUseLite(string folder, int numLabels, SentencePairEncoding pairEncoding, string source,
        long weightBytes, string? baseFolder)
    {
        var configPath = Path.Combine(folder, UseLiteConfigFileName);
        if (!File.Exists(configPath)) throw new InvalidDataException($"{source} has no '{UseLiteConfigFileName}'.");
        var config = JsonSerializer.Deserialize<UseLiteConfig>(File.ReadAllBytes(configPath))
            ?? throw new InvalidDataException($"'{UseLiteConfigFileName}' in {source} is empty.");
        // A compact model's weights are its base model's: the config must describe those.
        config.RequireDescribes(baseFolder is null ? weightBytes : DeclaredWeights.BytesIn(baseFolder), $"'{UseLiteConfigFileName}' in {source}");
        var vocabulary = Path.Combine(folder, UseLiteModelFiles.VocabularyFileName);
        if (!File.Exists(vocabulary)) throw new InvalidDataException($"{source} has no '{UseLiteModelFiles.VocabularyFileName}'.");
        var network = baseFolder is null
            ? new UseLiteClassifier(new UseLiteEncoder(config), numLabels, pairEncoding: pairEncoding)
            : UseLiteClassifier.FromPretrained(baseFolder, numLabels, 0.0, pairEncoding);
        return (UseLiteTokenizer.FromVocabularyFile(vocabulary), network);
    }

    private static (SequenceTokenizer, SequenceClassifier) BuildHuggingFace(string folder, ModelFamily family, int numLabels, SentencePooling? pooling,
        SentencePairEncoding pairEncoding, string source, long weightBytes, string? baseFolder)
    {
        var config = EncoderConfig.Load(folder);
        if (baseFolder is null) DeclaredWeights.Require(config, weightBytes, $"{EncoderConfig.FileName} in {source}", $"'{WeightsFileName}' in {source}");
        else DeclaredWeights.Require(config, DeclaredWeights.BytesIn(baseFolder), $"{EncoderConfig.FileName} in {source}", $"the base model folder '{baseFolder}'");
        if (config.Family != family)
            throw new InvalidDataException($"'{EncoderConfig.FileName}' describes a {config.Family} model but the manifest says {family}.");
        var network = baseFolder is null
            ? PretrainedModels.CreateSequenceClassifier(config, numLabels, pooling: pooling, pairEncoding: pairEncoding)
            : PretrainedModels.LoadSequenceClassifier(config, baseFolder, numLabels, null, null, pooling, pairEncoding).Model;
        return (PretrainedTokenizers.Load(folder, family), network);
    }

    private static Manifest ReadManifest(IReadOnlyDictionary<string, byte[]> files, string source)
    {
        if (!files.TryGetValue(ManifestFileName, out var bytes))
            throw new InvalidDataException($"{source} has no '{ManifestFileName}'; it is not a Delta-LoRA model.");
        Manifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<Manifest>(bytes);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{ManifestFileName}' in {source} is not valid JSON: {e.Message}", e);
        }
        if (manifest is null) throw new InvalidDataException($"'{ManifestFileName}' in {source} is empty.");
        if (manifest.FormatVersion > FormatVersion)
            throw new InvalidDataException(
                $"{source} was written in model format {manifest.FormatVersion}; this version of Microsoft.ML.DeltaLoRA reads up to {FormatVersion}.");
        if (manifest.NumLabels < 1) throw new InvalidDataException($"'{ManifestFileName}' in {source} has {manifest.NumLabels} outputs.");
        return manifest;
    }

    /// <summary>NaN or infinite weights come from a training run that diverged; such a model predicts nothing useful.</summary>
    private static void RequireFinite(IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        foreach (var (name, tensor) in weights.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            if (!torch.is_floating_point(tensor)) continue;
            using var finite = torch.isfinite(tensor).all();
            if (!finite.item<bool>())
                throw new InvalidDataException(
                    $"The weights '{name}' in {source} are not finite (NaN or infinity): the training that wrote this model diverged. Retrain it with a lower learning rate.");
        }
    }

    private static void MoveTo(SequenceClassifier network, Device? device)
    {
        if (device is not null && device.type != DeviceType.CPU) network.to(device);
    }

    /// <summary>Models saved before pooling was an option have none in their manifest: they used the head's default.</summary>
    private static SentencePooling? ReadPooling(Manifest manifest, string source)
    {
        if (manifest.Pooling is null) return null;
        return Enum.TryParse<SentencePooling>(manifest.Pooling, out var pooling)
            ? pooling
            : throw new InvalidDataException($"'{ManifestFileName}' in {source} names an unknown pooling '{manifest.Pooling}'.");
    }

    /// <summary>Models saved before pairs could be read as a bi-encoder have none in their manifest: they were cross-encoders.</summary>
    private static SentencePairEncoding ReadPairEncoding(Manifest manifest, string source)
    {
        if (manifest.PairEncoding is null) return SentencePairEncoding.CrossEncoder;
        return Enum.TryParse<SentencePairEncoding>(manifest.PairEncoding, out var pairEncoding) && Enum.IsDefined(pairEncoding)
            ? pairEncoding
            : throw new InvalidDataException($"'{ManifestFileName}' in {source} names an unknown pair encoding '{manifest.PairEncoding}'.");
    }

    private sealed record Manifest(int FormatVersion, string Family, int NumLabels, string? Pooling = null, string? PairEncoding = null);
}
