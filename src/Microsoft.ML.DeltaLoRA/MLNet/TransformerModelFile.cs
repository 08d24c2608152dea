using Microsoft.ML.Runtime;
using Microsoft.ML;
using Microsoft.ML.DeltaLoRA.MLNet;

// Registers the loader, so that MLContext.Model.Load finds it by LoaderSignature once ML.NET has loaded this assembly
// by the name recorded in the model (no registration call needed in the loading process).
[assembly: LoadableClass(typeof(DeltaLoRATransformer), typeof(TransformerModelFile), null, typeof(SignatureLoadModel),
    "Delta-LoRA fine-tuned text model", TransformerModelFormat.LoaderSignature)]

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// Writes and reads a <see cref="DeltaLoRATransformer"/> in ML.NET's model repository (see <see cref="TransformerModelFormat"/>).
/// Layout of the main stream: task (int32), Sentence1, Sentence2 or null, Score and PredictedLabel or null column names
/// (string table), output count (int32), inference batch size (int32), whether label key values follow (bool), scorer format
/// tag (string table; version 0x00010001: a loader type name), payload blob count (int32) and names (string table). Key values and blobs are separate streams.
/// </summary>
internal static class TransformerModelFile
{
    public static void Save(ModelSaveContext ctx, DeltaLoRATransformer transformer)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var columns = transformer.Columns;
        var scorer = transformer.Scorer.Scorer;
        // Everything that can fail on the scorer's side happens before a byte is written.
        var payload = scorer.SavePayload();
        ScorerFormats.Resolve(scorer.FormatTag); // a scorer must be loadable before a byte of its model is written
        var blobNames = payload.Keys.Order(StringComparer.Ordinal).ToArray();
        foreach (var name in blobNames) ScorerPayloadStreams.CheckName(name);

        ctx.CheckAtModel();
        ctx.SetVersionInfo(TransformerModelFormat.GetVersionInfo());
        var writer = ctx.Writer;
        writer.Write((int)columns.Task);
        ctx.SaveNonEmptyString(columns.Sentence1ColumnName);
        ctx.SaveStringOrNull(columns.Sentence2ColumnName);
        ctx.SaveNonEmptyString(columns.ScoreColumnName);
        ctx.SaveStringOrNull(columns.PredictedLabelColumnName);
        writer.Write(columns.OutputCount);
        writer.Write(transformer.InferenceBatchSize);
        writer.Write(columns.LabelKeyValues is not null);
        ctx.SaveNonEmptyString(scorer.FormatTag);
        writer.Write(blobNames.Length);
        foreach (var name in blobNames) ctx.SaveNonEmptyString(name);

        if (columns.LabelKeyValues is not null) LabelKeyValuesStream.Save(ctx, transformer.Environment, columns.LabelKeyValues);
        ScorerPayloadStreams.Save(ctx, blobNames, payload);
    }

    /// <summary>Called by ML.NET's component catalog (see the LoadableClass attribute above).</summary>
    public static DeltaLoRATransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel(TransformerModelFormat.GetVersionInfo());
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
        var scorerFormat = ctx.LoadNonEmptyString();
        if (ctx.Header.ModelVerWritten < TransformerModelFormat.FormatTagVersion) scorerFormat = ScorerFormats.TagOfVersion1LoaderName(scorerFormat);
        int blobCount = reader.ReadInt32();
        if (outputCount < 1 || batchSize < 1 || blobCount < 0)
            throw Corrupt($"output count {outputCount}, batch size {batchSize}, blob count {blobCount}");
        var blobNames = Enumerable.Range(0, blobCount).Select(_ => ctx.LoadNonEmptyString()).ToArray();

        var keyValues = hasKeyValues ? LabelKeyValuesStream.Load(ctx, env) : null;
        var payload = ScorerPayloadStreams.Load(ctx, blobNames);
        var loader = ScorerFormats.Resolve(scorerFormat);
        var scorer = loader.Load(payload);
        try
        {
            var columns = new PredictionColumns(task, sentence1, sentence2, score, predictedLabel, outputCount, keyValues);
            return new DeltaLoRATransformer(env, new BatchScorer(scorer, columns, batchSize));
        }
        catch
        {
            scorer.Dispose();
            throw;
        }
    }

    private static InvalidDataException Corrupt(string detail)
        => new($"The DeltaLoRA model in this file is corrupt: {detail}.");
}
