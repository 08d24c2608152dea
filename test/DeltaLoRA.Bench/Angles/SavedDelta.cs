using System.Globalization;
using DeltaLoRA.Bench.Spectrum;

namespace DeltaLoRA.Bench.Angles;

/// <summary>
/// The exact weight change a LoRA or Delta-LoRA model records when it is saved: the zip's <c>Scorer.delta.safetensors</c>
/// (in a full save beside the merged weights, in a compact save instead of them), which holds ΔW = W_T − W_0 of every adapted
/// weight as two F32 factors, <c>{weight}.delta_left</c> (out × k) and <c>{weight}.delta_right</c> (k × in), and the adapter
/// rank r as <c>adapter_rank</c> in its metadata. Read with the bench's own safetensors reader, not the library's loader.
/// </summary>
internal sealed record SavedDelta(string Source, int AdapterRank, IReadOnlyDictionary<AdaptedMatrix, LowRankChange> Changes)
{
    private const string LeftSuffix = ".delta_left";
    private const string RightSuffix = ".delta_right";

    public static SavedDelta Read(string zipPath)
    {
        var bytes = SavedModelWeights.ReadStream(zipPath, SavedModelWeights.DeltaStream);
        var source = $"'{SavedModelWeights.DeltaStream}' in '{zipPath}'";
        var metadata = Float32Safetensors.Metadata(bytes, source);
        if (!metadata.TryGetValue("adapter_rank", out var rankText) || !int.TryParse(rankText, NumberStyles.Integer, CultureInfo.InvariantCulture, out int rank) || rank < 1)
            throw new InvalidDataException($"{source} has no positive 'adapter_rank' in its metadata; is it a LoRA or Delta-LoRA model?");
        var factors = Float32Safetensors.Read(bytes, n => n.EndsWith(LeftSuffix, StringComparison.Ordinal) || n.EndsWith(RightSuffix, StringComparison.Ordinal), source);
        var changes = new Dictionary<AdaptedMatrix, LowRankChange>();
        foreach (var (name, left) in factors.Where(f => f.Key.EndsWith(LeftSuffix, StringComparison.Ordinal)))
        {
            var weight = name[..^LeftSuffix.Length];
            if (!factors.TryGetValue(weight + RightSuffix, out var right))
                throw new InvalidDataException($"{source} has '{name}' but no '{weight}{RightSuffix}'.");
            if (left.Shape.Length != 2 || right.Shape.Length != 2 || left.Shape[1] != right.Shape[0])
                throw new InvalidDataException($"{source}: the factors of '{weight}' have shapes [{string.Join(", ", left.Shape)}] and [{string.Join(", ", right.Shape)}]; expected [out, k] and [k, in].");
            if (!AdaptedMatrix.TryParse(weight, out var matrix)) continue; // an adapted weight other than attention query/value
            if (!changes.TryAdd(matrix, new LowRankChange(left, right))) throw new InvalidDataException($"{source} holds two changes for {matrix.Label}.");
        }
        if (changes.Count == 0) throw new InvalidDataException($"{source} records no change of an attention query/value weight (…encoder.layer.N.attention.self.query.weight{LeftSuffix}).");
        return new SavedDelta(zipPath, rank, changes);
    }
}
