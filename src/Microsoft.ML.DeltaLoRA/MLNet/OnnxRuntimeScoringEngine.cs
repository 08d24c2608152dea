using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Architectures;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// A fine-tuned model exported as an ONNX graph (<c>Export.OnnxExport</c>), scored by ONNX Runtime: our tokenizer turns texts
/// into int64 <c>input_ids</c>, <c>attention_mask</c> and (BERT) <c>token_type_ids</c>, batched by length as the TorchSharp engine
/// batches them, and one reused <see cref="InferenceSession"/> returns the <c>logits</c>. Nothing here touches TorchSharp, so a
/// zip of this format loads and scores in an app without TorchSharp's native library. The payload is the graph
/// (<see cref="GraphFileName"/>), the tokenizer files and <see cref="SettingsFileName"/>; a bi-encoder is told by its graph's
/// second-text inputs (<c>input_ids_2</c>, ...).
/// </summary>
internal sealed class OnnxRuntimeScoringEngine : IScoringEngine
{
    public const string GraphFileName = "model.onnx";
    public const string SettingsFileName = "onnx-scorer.json";
    public const string LogitsOutput = "logits";

    private readonly IReadOnlyDictionary<string, byte[]> _payload;
    private readonly InferenceSession _session;
    private readonly SequenceTokenizer _tokenizer;
    private readonly bool _withTokenTypes;
    private readonly bool _biEncoder;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames = [LogitsOutput];
    private readonly RunOptions _runOptions = new();

    private OnnxRuntimeScoringEngine(IReadOnlyDictionary<string, byte[]> payload, InferenceSession session, SequenceTokenizer tokenizer,
        int maxSequenceLength, int outputCount, bool withTokenTypes, bool biEncoder)
    {
        _payload = payload;
        _session = session;
        _tokenizer = tokenizer;
        MaxSequenceLength = maxSequenceLength;
        OutputCount = outputCount;
        _withTokenTypes = withTokenTypes;
        _biEncoder = biEncoder;
        _inputNames = [.. InputNames(""), .. biEncoder ? InputNames("_2") : []];
    }

    public int MaxSequenceLength { get; }

    public int OutputCount { get; }

    public string FormatTag => TransformerModelFile.EngineFormats.OnnxRuntime;

    /// <summary>
    /// The ONNX Runtime session settings of every engine, in one place: all graph optimizations (the export is written so that
    /// ORT fuses its GELUs) but <see cref="SlowerFusions"/>, sequential execution of the graph's nodes, <paramref name="threads"/>
    /// inside each op and spinning while a run lasts as chosen (<see cref="ThreadSettings.Current"/> by default), and
    /// <see cref="ForceSpinningStop"/>.
    /// </summary>
    public static SessionOptions CreateSessionOptions(ThreadSettings? threads = null)
    {
        var (intraOpThreads, spinWhileRunning) = threads ?? ThreadSettings.Current;
        ArgumentOutOfRangeException.ThrowIfNegative(intraOpThreads);
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = intraOpThreads,
        };
        options.AddSessionConfigEntry(ForceSpinningStop, "1");
        if (!spinWhileRunning) options.AddSessionConfigEntry(AllowSpinning, "0");
        options.AddSessionConfigEntry("optimization.disable_specified_optimizers", SlowerFusions);
        return options;
    }

    /// <summary>
    /// Threads per op (0: ONNX Runtime's default, one per physical core) and whether they spin while a run lasts; <see cref="Current"/>
    /// is the public choice (<see cref="OnnxRuntimeThreads"/>).
    /// </summary>
    public readonly record struct ThreadSettings(int IntraOpThreads, bool SpinWhileRunning)
    {
        public static ThreadSettings Current => new(OnnxRuntimeThreads.ScoringCount ?? 0, OnnxRuntimeThreads.SpinWhileRunning);
    }

    /// <summary>ORT's switch for spinning inside a run (its threading guide: "session.intra_op.allow_spinning", default "1").</summary>
    public const string AllowSpinning = "session.intra_op.allow_spinning";

    /// <summary>
    /// ORT graph rewrites the engine turns off because they make its graph slower on CPU. <c>SkipLayerNormFusion</c> merges each
    /// residual Add (and the bias before it) with the LayerNormalization after it into one SkipLayerNormalization node, whose CPU
    /// kernel is a plain per-row loop: on MiniLM (872 SST-2 dev sentences, batches of 32, one thread) ORT's profiler put those nodes
    /// at 11 % of the kernel time against 3 % for the Add and LayerNormalization they replace, and the graph without the fusion did
    /// the same work in 6–10 % less CPU time.
    /// </summary>
    public const string SlowerFusions = "SkipLayerNormFusion";

    /// <summary>
    /// ORT's intra-op threads spin while a run lasts, which keeps its many short ops fast, and by default keep spinning after the
    /// run returns (up to 2^20 pause iterations each) before they sleep. Inside an app that spin takes cores from whatever the app
    /// does next: tokenizing, ML.NET's cursors, another model. With this setting they stop when the run returns; the next run
    /// wakes them once.
    /// </summary>
    public const string ForceSpinningStop = "session.force_spinning_stop";

    /// <summary>
    /// An engine over a graph that <c>Export.OnnxExport</c> wrote for a <paramref name="family"/> model, with the tokenizer files it
    /// was trained with; <paramref name="threads"/> as in <see cref="CreateSessionOptions"/>.
    /// </summary>
    public static OnnxRuntimeScoringEngine Create(byte[] graph, IEnumerable<KeyValuePair<string, byte[]>> tokenizerFiles, ModelFamily family,
        int maxSequenceLength, ThreadSettings? threads = null)
    {
        var payload = new Dictionary<string, byte[]>(tokenizerFiles, StringComparer.Ordinal)
        {
            [GraphFileName] = graph,
            [SettingsFileName] = JsonSerializer.SerializeToUtf8Bytes(new Settings(family.ToString(), maxSequenceLength)),
        };
        return Load(payload, threads);
    }

    /// <summary>Rebuilds the engine from its <see cref="SavePayload"/>; <see cref="InvalidDataException"/> naming the blob when it is incomplete or damaged.</summary>
    public static OnnxRuntimeScoringEngine Load(IReadOnlyDictionary<string, byte[]> payload) => Load(payload, threads: null);

    /// <summary>As <see cref="Load(IReadOnlyDictionary{string, byte[]})"/>, with <paramref name="threads"/> as in <see cref="CreateSessionOptions"/>.</summary>
    public static OnnxRuntimeScoringEngine Load(IReadOnlyDictionary<string, byte[]> payload, ThreadSettings? threads)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var settings = ReadSettings(payload);
        var family = Enum.TryParse<ModelFamily>(settings.Family, out var parsed) && Enum.IsDefined(parsed) && parsed != ModelFamily.UseLite
            ? parsed
            : throw new InvalidDataException($"'{SettingsFileName}' in the model names the model family '{settings.Family}'; expected Bert, Roberta or DistilBert.");
        var tokenizer = LoadTokenizer(payload, family);
        if (!payload.TryGetValue(GraphFileName, out var graph))
            throw new InvalidDataException($"The model has no '{GraphFileName}', the ONNX graph its ONNX Runtime engine scores with.");

        InferenceSession session;
        try
        {
            using var options = CreateSessionOptions(threads);
            session = new InferenceSession(graph, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"'{GraphFileName}' in the model is not an ONNX graph that ONNX Runtime can load ({e.Message.Trim()}). Save the model again.", e);
        }
        try
        {
            var (outputCount, withTokenTypes, biEncoder) = CheckGraph(session, tokenizer);
            return new OnnxRuntimeScoringEngine(new Dictionary<string, byte[]>(payload, StringComparer.Ordinal), session, tokenizer,
                settings.MaxSequenceLength, outputCount, withTokenTypes, biEncoder);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public void Score(IReadOnlyList<string> firstTexts, IReadOnlyList<string>? secondTexts, int batchSize, Span<float> outputs)
    {
        if (_biEncoder && secondTexts is null)
            throw new InvalidOperationException("This model is a bi-encoder of text pairs; it needs a second text for every row.");
        var sequences = new EncodedSequence[firstTexts.Count];
        for (int i = 0; i < sequences.Length; i++) sequences[i] = Encode(firstTexts[i], secondTexts?[i]);
        var lengths = sequences.Select(s => s.Length).ToArray();
        foreach (var rows in LengthGroups.Batches(lengths, batchSize))
        {
            var inputs = new List<OrtValue>(_inputNames.Length);
            try
            {
                AddInputs(inputs, rows.Select(r => sequences[r]).ToArray());
                if (_biEncoder) AddInputs(inputs, rows.Select(r => sequences[r].Second!).ToArray());
                using var results = _session.Run(_runOptions, _inputNames, inputs, _outputNames);
                var logits = results[0].GetTensorDataAsSpan<float>();
                for (int r = 0; r < rows.Length; r++)
                    logits.Slice(r * OutputCount, OutputCount).CopyTo(outputs.Slice(rows[r] * OutputCount, OutputCount));
            }
            finally
            {
                foreach (var input in inputs) input.Dispose();
            }
        }
    }

    public IReadOnlyDictionary<string, byte[]> SavePayload() => _payload;

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }

    /// <summary>As the TorchSharp engine reads a row (<see cref="SequenceTokenizer.EncodeRow"/>).</summary>
    private EncodedSequence Encode(string first, string? second)
        => _tokenizer.EncodeRow(first, second, MaxSequenceLength, _biEncoder ? SentencePairEncoding.BiEncoder : SentencePairEncoding.CrossEncoder);

    /// <summary>The int64 [rows, longest] inputs of one text per row, padded with the tokenizer's pad id (attention mask 0 there).</summary>
    private void AddInputs(List<OrtValue> inputs, IReadOnlyList<EncodedSequence> sequences)
    {
        int rows = sequences.Count;
        int columns = Math.Max(1, sequences.Max(s => s.InputIds.Length));
        var ids = new long[rows * columns];
        var mask = new long[rows * columns];
        var types = _withTokenTypes ? new long[rows * columns] : null;
        Array.Fill(ids, _tokenizer.PadTokenId);
        for (int r = 0; r < rows; r++)
        {
            var sequence = sequences[r];
            int offset = r * columns;
            for (int c = 0; c < sequence.InputIds.Length; c++)
            {
                ids[offset + c] = sequence.InputIds[c];
                mask[offset + c] = 1;
                if (types is not null) types[offset + c] = sequence.TokenTypeIds[c];
            }
        }
        long[] shape = [rows, columns];
        inputs.Add(OrtValue.CreateTensorValueFromMemory(ids, shape));
        inputs.Add(OrtValue.CreateTensorValueFromMemory(mask, shape));
        if (types is not null) inputs.Add(OrtValue.CreateTensorValueFromMemory(types, shape));
    }

    private IEnumerable<string> InputNames(string suffix) => InputNames(suffix, _withTokenTypes);

    private static IEnumerable<string> InputNames(string suffix, bool withTokenTypes)
        => withTokenTypes
            ? ["input_ids" + suffix, "attention_mask" + suffix, "token_type_ids" + suffix]
            : ["input_ids" + suffix, "attention_mask" + suffix];

    /// <summary>
    /// The graph must take what the tokenizer gives, as <c>Export.OnnxExport</c> names it: int64 <c>input_ids</c> and
    /// <c>attention_mask</c>, <c>token_type_ids</c> exactly when the tokenizer makes token types, the same three suffixed <c>_2</c>
    /// for a bi-encoder; and give float <c>logits</c> of a fixed width.
    /// </summary>
    private static (int OutputCount, bool WithTokenTypes, bool BiEncoder) CheckGraph(InferenceSession session, SequenceTokenizer tokenizer)
    {
        var inputs = session.InputMetadata;
        bool biEncoder = inputs.ContainsKey("input_ids_2");
        string[] expected = [.. InputNames("", tokenizer.UsesTokenTypeIds), .. biEncoder ? InputNames("_2", tokenizer.UsesTokenTypeIds) : []];
        if (!inputs.Keys.Order(StringComparer.Ordinal).SequenceEqual(expected.Order(StringComparer.Ordinal))
            || inputs.Values.Any(input => input.ElementDataType != TensorElementType.Int64 || input.Dimensions.Length != 2))
            throw new InvalidDataException(
                $"'{GraphFileName}' in the model takes the inputs {Describe(inputs)}; its tokenizer needs int64 [batch, sequence] inputs {string.Join(", ", expected)}.");
        if (!session.OutputMetadata.TryGetValue(LogitsOutput, out var logits) || logits.ElementDataType != TensorElementType.Float
            || logits.Dimensions is not [_, > 0])
            throw new InvalidDataException(
                $"'{GraphFileName}' in the model gives the outputs {Describe(session.OutputMetadata)}; expected float '{LogitsOutput}' of shape [batch, outputs].");
        return (logits.Dimensions[1], tokenizer.UsesTokenTypeIds, biEncoder);
    }

    private static string Describe(IReadOnlyDictionary<string, NodeMetadata> values)
        => string.Join(", ", values.Select(v => $"{v.Key} ({v.Value.ElementDataType} [{string.Join(", ", v.Value.Dimensions)}])"));

    /// <summary>
    /// Our tokenizer from the stored files. Its readers take a folder (and name the files in a temporary one in their errors): those
    /// messages are given back naming the model instead.
    /// </summary>
    private static SequenceTokenizer LoadTokenizer(IReadOnlyDictionary<string, byte[]> payload, ModelFamily family)
    {
        using var folder = ModelUnpackFolder.Create();
        foreach (var name in PretrainedTokenizers.RequiredFileNames(family).Concat(PretrainedTokenizers.OptionalFileNames))
            if (payload.TryGetValue(name, out var bytes)) File.WriteAllBytes(Path.Combine(folder.Path, name), bytes);
        try
        {
            return PretrainedTokenizers.Load(folder.Path, family);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or FormatException or IOException or ArgumentException)
        {
            var message = e.Message.Replace(folder.Path + Path.DirectorySeparatorChar, "", StringComparison.Ordinal)
                .Replace(folder.Path, "the model", StringComparison.Ordinal);
            throw new InvalidDataException($"The model's {family} tokenizer files cannot be read: {message}", e);
        }
    }

    private static Settings ReadSettings(IReadOnlyDictionary<string, byte[]> payload)
    {
        var settings = ScorerSettingsJson.Read<Settings>(payload, SettingsFileName);
        if (settings.Family is null || settings.MaxSequenceLength < 1)
            throw new InvalidDataException($"'{SettingsFileName}' in the model needs a Family and a MaxSequenceLength of at least 1.");
        return settings;
    }

    /// <summary>The JSON of <see cref="SettingsFileName"/>; its property names are part of the saved format.</summary>
    private sealed record Settings(string Family, int MaxSequenceLength);
}
