using System.Text.RegularExpressions;

namespace DeltaLoRA.Bench.Spectrum;

/// <summary>
/// A matrix the paper adapts: the query or value projection of one encoder layer, recognized by its checkpoint name
/// (BERT family: <c>…encoder.layer.{i}.attention.self.{query|value}.weight</c>, with or without a model prefix).
/// </summary>
internal sealed partial record AdaptedMatrix(int Layer, string Projection)
{
    public string Label => $"layer {Layer} {Projection}";

    public static bool TryParse(string tensorName, out AdaptedMatrix matrix)
    {
        var match = Pattern().Match(tensorName);
        matrix = match.Success ? new AdaptedMatrix(int.Parse(match.Groups[1].Value), match.Groups[2].Value) : null!;
        return match.Success;
    }

    public static bool Is(string tensorName) => Pattern().IsMatch(tensorName);

    /// <summary>The adapted matrices of a checkpoint, by matrix (exactly one tensor each, else the checkpoint is ambiguous).</summary>
    public static IReadOnlyDictionary<AdaptedMatrix, Float32Tensor> Select(IReadOnlyDictionary<string, Float32Tensor> tensors, string source)
    {
        var byMatrix = new Dictionary<AdaptedMatrix, Float32Tensor>();
        foreach (var (name, tensor) in tensors)
        {
            if (!TryParse(name, out var matrix)) continue;
            if (!byMatrix.TryAdd(matrix, tensor)) throw new InvalidDataException($"{source} holds two tensors for {matrix.Label}.");
        }
        if (byMatrix.Count == 0) throw new InvalidDataException($"{source} has no attention query/value weights (…encoder.layer.N.attention.self.query.weight).");
        return byMatrix;
    }

    [GeneratedRegex(@"(?:^|\.)encoder\.layer\.(\d+)\.attention\.self\.(query|value)\.weight$")]
    private static partial Regex Pattern();
}
