using System.Diagnostics;
using DeltaLoRA.Bench.Embeddings;
using DeltaLoRA.Bench.Glue;

namespace DeltaLoRA.Bench.Study;

/// <summary>
/// The frozen encoder's features of a task's rows: the sentence vector, or [u, v, |u − v|, u ⊙ v] for pairs. Computed once per
/// task and shared by the baseline's seeds; <see cref="TrainSeconds"/> is the time to embed the training rows.
/// </summary>
internal sealed record TaskFeatures(float[][] Train, float[][] Validation, float[][] Dev, int Dimension, double TrainSeconds)
{
    public static TaskFeatures Compute(SentenceEmbedder embedder, TaskData data)
    {
        var clock = Stopwatch.StartNew();
        var train = Features(embedder, data.Train);
        double trainSeconds = clock.Elapsed.TotalSeconds;
        var validation = Features(embedder, data.Validation);
        var dev = Features(embedder, data.Dev);
        return new TaskFeatures(train, validation, dev, train[0].Length, trainSeconds);
    }

    private static float[][] Features(SentenceEmbedder embedder, IReadOnlyList<GlueExample> rows)
    {
        var first = embedder.Embed(rows.Select(r => r.Text1).ToArray());
        if (rows.All(r => r.Text2 is null)) return first;
        var second = embedder.Embed(rows.Select(r => r.Text2 ?? "").ToArray());
        return first.Zip(second, PairFeatures.Combine).ToArray();
    }
}
