namespace DeltaLoRA.Bench.Embeddings;

/// <summary>Features of a sentence pair from its two sentence vectors: [u, v, |u − v|, u ⊙ v] (as in InferSent and SentEval).</summary>
internal static class PairFeatures
{
    public static float[] Combine(float[] u, float[] v)
    {
        ArgumentNullException.ThrowIfNull(u);
        ArgumentNullException.ThrowIfNull(v);
        if (u.Length != v.Length) throw new ArgumentOutOfRangeException(nameof(v), v.Length, $"Both sentence vectors must have the same size; u has {u.Length}, v has {v.Length}.");
        int d = u.Length;
        var features = new float[4 * d];
        for (int i = 0; i < d; i++)
        {
            features[i] = u[i];
            features[d + i] = v[i];
            features[2 * d + i] = Math.Abs(u[i] - v[i]);
            features[3 * d + i] = u[i] * v[i];
        }
        return features;
    }
}
