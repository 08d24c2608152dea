using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Data.IO;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.Runtime;

// Registers the loader, so that MLContext.Model.Load finds it by LoaderSignature once ML.NET has loaded this assembly
// by the name recorded in the model (no registration call needed in the loading process).
[assembly: LoadableClass(typeof(DeltaLoRATransformer), typeof(TransformerModelFile), null, typeof(SignatureLoadModel),
    "Delta-LoRA fine-tuned text model", TransformerModelFile.LoaderSignature)]

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// Writes and reads a <see cref="DeltaLoRATransformer"/> in ML.NET's model repository.
/// Layout of the main stream: task (int32), Sentence1, Sentence2 or null, Score and PredictedLabel or null column names
/// (string table), output count (int32), inference batch size (int32), whether label key values follow (bool), engine format
/// tag (string table; version 0x00010001: a loader type name), payload blob count (int32) and names (string table). The label
/// key values and each payload blob are streams of their own.
/// Versions (written / readable / oldest read back):
///   0x00010001  first format: task, column names, class count, inference batch size, label key values, scorer loader
///               type name and the scorer's named payload streams.
///   0x00010002  the scorer loader type name replaced by a fixed engine format tag (<see cref="EngineFormats"/>).
/// A change to the layout bumps the written version; a reader that can still read older files keeps the oldest one.
/// </summary>
internal static class TransformerModelFile
{
    /// <summary>Exactly 8 characters (ML.NET packs it into a 64-bit signature).</summary>
    public const string ModelSignature = "DLORATRF";

    /// <summary>At most 24 characters; the name the component catalog finds the loader by.</summary>
    public const string LoaderSignature = "DeltaLoRATransformer";

    public const uint CurrentVersion = 0x00010002;

    /// <summary>The first version that records an engine format tag rather than a loader type name.</summary>
    public const uint FormatTagVersion = 0x00010002;
    public const uint OldestReadableVersion = 0x00010001;

    public const string KeyValuesStream = "LabelKeyValues.bin";
    public const string PayloadStreamPrefix = "Scorer.";

    public static VersionInfo GetVersionInfo() => new(
        modelSignature: ModelSignature,
        verWrittenCur: CurrentVersion,
        verReadableCur: CurrentVersion,
        verWeCanReadBack: OldestReadableVersion,
        // The simple name: ML.NET loads this assembly by it when a fresh process reads the model.
        loaderAssemblyName: typeof(TransformerModelFile).Assembly.GetName().Name,
        loaderSignature: LoaderSignature,
        loaderSignatureAlt: null);

    public static void Save(ModelSaveContext ctx, DeltaLoRATransformer transformer)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var columns = transformer.Columns;
        var engine = transformer.Scorer.Engine;
        // Everything that can fail on the engine's side happens before a byte is written.
        var payload = engine.SavePayload();
        EngineFormats.Resolve(engine.FormatTag); // an engine must be loadable before a byte of its model is written
        var blobNames = payload.Keys.Order(StringComparer.Ordinal).ToArray();
        foreach (var name in blobNames) PayloadStreams.CheckName(name);

        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        var writer = ctx.Writer;
        writer.Write((int)columns.Task);
        ctx.SaveNonEmptyString(columns.Sentence1ColumnName);
        ctx.SaveStringOrNull(columns.Sentence2ColumnName);
        ctx.SaveNonEmptyString(columns.ScoreColumnName);
        ctx.SaveStringOrNull(columns.PredictedLabelColumnName);
        writer.Write(columns.OutputCount);
        writer.Write(transformer.InferenceBatchSize);
        writer.Write(columns.LabelKeyValues is not null);
        ctx.SaveNonEmptyString(engine.FormatTag);
        writer.Write(blobNames.Length);
        foreach (var name in blobNames) ctx.SaveNonEmptyString(name);

        if (columns.LabelKeyValues is not null) LabelKeyValues.Save(ctx, transformer.Environment, columns.LabelKeyValues);
        PayloadStreams.Save(ctx, blobNames, payload);
    }

    /// <summary>Called by ML.NET's component catalog (see the LoadableClass attribute above).</summary>
    public static DeltaLoRATransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel(GetVersionInfo());
        var reader = ctx.Reader;
        var task = (PredictionTask)reader.ReadInt32();
        if (!Enum.IsDefined(task)) throw Corrupt($"unknown task {(int)task}");
        var sentence1 = ctx.LoadNonEmptyString();
        var sentence2 = ctx.LoadStringOrNull();
        var score = ctx.LoadNonEmptyString();
        var predictedLabel = ctx.LoadStringOrNull();
        int outputCount = reader.ReadInt32();
        int batchSize = reader.ReadInt32();
        bool hasKeyValues = reader.ReadBoolean();
        var engineFormat = ctx.LoadNonEmptyString();
        if (ctx.Header.ModelVerWritten < FormatTagVersion) engineFormat = EngineFormats.TagOfVersion1LoaderName(engineFormat);
        int blobCount = reader.ReadInt32();
        if (outputCount < 1 || batchSize < 1 || blobCount < 0)
            throw Corrupt($"output count {outputCount}, batch size {batchSize}, blob count {blobCount}");
        var blobNames = Enumerable.Range(0, blobCount).Select(_ => ctx.LoadNonEmptyString()).ToArray();

        var keyValues = hasKeyValues ? LabelKeyValues.Load(ctx, env) : null;
        var payload = PayloadStreams.Load(ctx, blobNames);
        var engine = EngineFormats.Resolve(engineFormat)(payload);
        try
        {
            var columns = new PredictionColumns(task, sentence1, sentence2, score, predictedLabel, outputCount, keyValues);
            return new DeltaLoRATransformer(env, new BatchScorer(engine, columns, batchSize));
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    private static InvalidDataException Corrupt(string detail)
        => new($"The DeltaLoRA model in this file is corrupt: {detail}.");

    /// <summary>
    /// The scoring engines a model zip can hold, by the fixed tag recorded in it (format 0x00010002 on), so that renaming or
    /// moving a .NET type breaks no saved model. Files of format 0x00010001 recorded a loader type name instead; the names they
    /// can hold are mapped to their tags here. Nothing is ever instantiated by a name read from a file.
    /// </summary>
    internal static class EngineFormats
    {
        /// <summary>The fine-tuned TorchSharp network (<see cref="TorchSharpScoringEngine"/>).</summary>
        public const string TorchSharp = "deltalora/fine-tuned-text-model";

        /// <summary>The fine-tuned network as an ONNX graph, scored by ONNX Runtime (<see cref="OnnxRuntimeScoringEngine"/>).</summary>
        public const string OnnxRuntime = "deltalora/onnx-runtime";

        private static readonly Dictionary<string, Func<IReadOnlyDictionary<string, byte[]>, IScoringEngine>> Loaders = new(StringComparer.Ordinal)
        {
            [TorchSharp] = TorchSharpScoringEngine.Load,
            [OnnxRuntime] = OnnxRuntimeScoringEngine.Load,
        };

        private static readonly Dictionary<string, string> TagsOfVersion1LoaderNames = new(StringComparer.Ordinal)
        {
            ["Microsoft.ML.DeltaLoRA.FineTunedTextScorerLoader, Microsoft.ML.DeltaLoRA"] = TorchSharp,
        };

        /// <summary>
        /// The loader of a known format, which rebuilds the engine from the payload it saved (throwing
        /// <see cref="InvalidDataException"/> naming the blob when the payload is incomplete or malformed);
        /// <see cref="InvalidDataException"/> naming the tag when the format is unknown.
        /// </summary>
        public static Func<IReadOnlyDictionary<string, byte[]>, IScoringEngine> Resolve(string tag)
            => Loaders.TryGetValue(tag, out var loader)
                ? loader
                : throw new InvalidDataException(
                    $"The model's scorer format '{tag}' is unknown to this version of Microsoft.ML.DeltaLoRA; known formats: {string.Join(", ", Loaders.Keys.Order())}.");

        /// <summary>The tag of an engine whose loader a format 0x00010001 file named by type.</summary>
        public static string TagOfVersion1LoaderName(string loaderTypeName)
            => TagsOfVersion1LoaderNames.TryGetValue(loaderTypeName, out var tag)
                ? tag
                : throw new InvalidDataException($"The model names '{loaderTypeName}' as its scorer loader, which is not a scorer format of Microsoft.ML.DeltaLoRA.");
    }

    /// <summary>
    /// The engine's named byte blobs, one repository stream each ("Scorer.&lt;name&gt;"), each an int64 length then the bytes
    /// (zip entry streams do not report their length).
    /// </summary>
    private static class PayloadStreams
    {
        public static void CheckName(string name)
        {
            bool valid = name.Length > 0 && name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
            if (!valid)
                throw new InvalidOperationException($"Scorer payload name '{name}' is invalid; use letters, digits, '.', '_' and '-', not starting with '.'.");
        }

        public static void Save(ModelSaveContext ctx, IReadOnlyList<string> names, IReadOnlyDictionary<string, byte[]> payload)
        {
            foreach (var name in names)
            {
                var bytes = payload[name];
                ctx.SaveBinaryStream(PayloadStreamPrefix + name, writer =>
                {
                    writer.Write((long)bytes.Length);
                    writer.Write(bytes);
                });
            }
        }

        public static IReadOnlyDictionary<string, byte[]> Load(ModelLoadContext ctx, IReadOnlyList<string> names)
        {
            var payload = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var name in names)
            {
                CheckStoredName(name);
                var stream = PayloadStreamPrefix + name;
                bool found = ReadEntry(ctx, stream, reader =>
                {
                    long length = reader.ReadInt64();
                    if (length < 0 || length > Array.MaxLength)
                        throw new InvalidDataException($"The model's '{stream}' stream declares {length} bytes; expected 0 to {Array.MaxLength}.");
                    var bytes = reader.ReadBytes((int)length);
                    if (bytes.Length != length)
                        throw new InvalidDataException($"The model's '{stream}' stream is truncated: expected {length} bytes, found {bytes.Length}.");
                    payload[name] = bytes;
                });
                if (!found) throw new InvalidDataException($"The model's '{stream}' stream is missing.");
            }
            return payload;
        }

        /// <summary>The zip layer's own errors ("Unable to read beyond the end of the stream", "unsupported compression method") with the entry named.</summary>
        private static bool ReadEntry(ModelLoadContext ctx, string stream, Action<BinaryReader> read)
        {
            try
            {
                return ctx.TryLoadBinaryStream(stream, read);
            }
            catch (Exception e) when (e is EndOfStreamException || e is InvalidDataException && !e.Message.StartsWith("The model's", StringComparison.Ordinal))
            {
                throw new InvalidDataException($"The model's '{stream}' stream is damaged ({e.Message}); expected an int64 length and that many bytes. Save the model again.", e);
            }
        }

        private static void CheckStoredName(string name)
        {
            try
            {
                CheckName(name);
            }
            catch (InvalidOperationException e)
            {
                throw new InvalidDataException(e.Message, e);
            }
        }
    }

    /// <summary>
    /// The label's key values (a vector of any primitive type: text, Single, Boolean, ...), saved with ML.NET's own type and
    /// value codec, so that after loading PredictedLabel carries exactly the key values it was trained with and MapKeyToValue
    /// restores the original label type.
    /// </summary>
    private static class LabelKeyValues
    {
        public static void Save(ModelSaveContext ctx, IHostEnvironment env, DataViewSchema.Annotations keyValues)
        {
            var type = (VectorDataViewType)keyValues.Schema[MLNetInternals.KeyValuesKind].Type;
            var save = Generic(nameof(SaveTyped), type.ItemType.RawType);
            ctx.SaveBinaryStream(KeyValuesStream, writer => save.Invoke(null, [writer.BaseStream, env, keyValues, type]));
        }

        public static DataViewSchema.Annotations Load(ModelLoadContext ctx, IHostEnvironment env)
        {
            DataViewSchema.Annotations? annotations = null;
            bool found = ctx.TryLoadBinaryStream(KeyValuesStream, reader =>
            {
                var saver = new BinarySaver(env, new BinarySaver.Arguments());
                if (!saver.TryLoadTypeAndValue(reader.BaseStream, out var type, out var value) || type is not VectorDataViewType vector || value is null)
                    throw new InvalidDataException($"The model's '{KeyValuesStream}' stream does not hold a vector of key values.");
                annotations = (DataViewSchema.Annotations)Generic(nameof(AsAnnotations), vector.ItemType.RawType).Invoke(null, [vector, value])!;
            });
            if (!found || annotations is null)
                throw new InvalidDataException($"The model says it has label key values but its '{KeyValuesStream}' stream is missing.");
            return annotations;
        }

        private static void SaveTyped<T>(Stream stream, IHostEnvironment env, DataViewSchema.Annotations keyValues, VectorDataViewType type)
        {
            var values = default(VBuffer<T>);
            keyValues.GetValue(MLNetInternals.KeyValuesKind, ref values);
            var saver = new BinarySaver(env, new BinarySaver.Arguments());
            if (!saver.TryWriteTypeAndValue(stream, type, ref values, out _))
                throw new InvalidOperationException($"ML.NET cannot save label key values of type {type}.");
        }

        private static DataViewSchema.Annotations AsAnnotations<T>(VectorDataViewType type, object value)
        {
            var values = (VBuffer<T>)value;
            var builder = new DataViewSchema.Annotations.Builder();
            builder.Add(MLNetInternals.KeyValuesKind, type, (ref VBuffer<T> destination) => values.CopyTo(ref destination));
            return builder.ToAnnotations();
        }

        private static MethodInfo Generic(string name, Type itemType)
            => typeof(LabelKeyValues).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(itemType);
    }
}
