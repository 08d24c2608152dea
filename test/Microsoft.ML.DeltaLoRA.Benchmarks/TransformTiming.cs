using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>How long a fitted model's batched <c>Transform</c> takes over a data view.</summary>
internal static class TransformTiming
{
    /// <summary>Seconds to transform <paramref name="data"/> and read every row's Score.</summary>
    public static double ScoreAll(DeltaLoRATransformer transformer, IDataView data)
    {
        var stopwatch = Stopwatch.StartNew();
        var scored = transformer.Transform(data);
        var score = scored.Schema[transformer.ScoreColumnName];
        using var cursor = scored.GetRowCursor([score]);
        var getter = cursor.GetGetter<VBuffer<float>>(score);
        var value = default(VBuffer<float>);
        while (cursor.MoveNext()) getter(ref value);
        return stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>Every row's Score (class probabilities), flattened in row order.</summary>
    public static float[] Scores(DeltaLoRATransformer transformer, IDataView data)
    {
        var scored = transformer.Transform(data);
        var score = scored.Schema[transformer.ScoreColumnName];
        using var cursor = scored.GetRowCursor([score]);
        var getter = cursor.GetGetter<VBuffer<float>>(score);
        var value = default(VBuffer<float>);
        var scores = new List<float>();
        while (cursor.MoveNext())
        {
            getter(ref value);
            scores.AddRange(value.DenseValues());
        }
        return scores.ToArray();
    }
}
