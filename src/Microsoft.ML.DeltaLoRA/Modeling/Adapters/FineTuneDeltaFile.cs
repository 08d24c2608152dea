using System.Globalization;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Modeling.Adapters;

/// <summary>
/// A <see cref="FineTuneDelta"/> as one safetensors file (F32): each adapted weight's factors under its name plus
/// <c>.delta_left</c> (out × rank) and <c>.delta_right</c> (rank × in), every other trained tensor under its own name, and
/// r, α and λ in the metadata (<c>adapter_rank</c>, <c>adapter_alpha</c>, <c>update_ratio</c>).
/// </summary>
internal static class FineTuneDeltaFile
{
    public const string FileName = "delta.safetensors";
    public const string LeftSuffix = ".delta_left";
    public const string RightSuffix = ".delta_right";
    private const string FormatKey = "format";
    private const string FormatValue = "deltalora-fine-tune-delta/1";

    public static byte[] Write(FineTuneDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        using var scope = torch.NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var weight in delta.AdaptedWeights)
        {
            tensors[weight.WeightName + LeftSuffix] = torch.tensor(weight.Left, [weight.Rows, weight.Rank]);
            tensors[weight.WeightName + RightSuffix] = torch.tensor(weight.Right, [weight.Rank, weight.Columns]);
        }
        foreach (var (name, tensor) in delta.OtherTrainedTensors) tensors.Add(name, torch.tensor(tensor.Values, tensor.Shape));
        var metadata = new Dictionary<string, string>
        {
            [FormatKey] = FormatValue,
            ["adapter_rank"] = delta.AdapterRank.ToString(CultureInfo.InvariantCulture),
            ["adapter_alpha"] = delta.AdapterAlpha.ToString("R", CultureInfo.InvariantCulture),
            ["update_ratio"] = delta.UpdateRatio.ToString("R", CultureInfo.InvariantCulture),
        };
        using var stream = new MemoryStream();
        SafetensorsWriter.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    /// <summary>Reads what <see cref="Write"/> wrote; <paramref name="source"/> names the file in errors.</summary>
    public static FineTuneDelta Read(byte[] bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var metadata = SafetensorsHeader.Read(new MemoryStream(bytes), bytes.Length, source).Metadata;
        if (!metadata.TryGetValue(FormatKey, out var format) || format != FormatValue)
            throw new InvalidDataException($"{source} is not a fine-tune delta: its metadata has '{FormatKey}' = '{format}'; expected '{FormatValue}'.");
        using var tensors = SafetensorsReader.Read(new MemoryStream(bytes), source);
        var weights = new List<LowRankWeightDelta>();
        var others = new Dictionary<string, TrainedTensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (name.EndsWith(RightSuffix, StringComparison.Ordinal)) continue; // read with its left factor
            if (!name.EndsWith(LeftSuffix, StringComparison.Ordinal))
            {
                others[name] = new TrainedTensor(tensor.shape.ToArray(), Values(tensor));
                continue;
            }
            var weightName = name[..^LeftSuffix.Length];
            if (!tensors.TryGetValue(weightName + RightSuffix, out var right))
                throw new InvalidDataException($"{source} has the left factor '{name}' but no right factor '{weightName}{RightSuffix}'.");
            if (tensor.ndim != 2 || right.ndim != 2 || tensor.shape[1] != right.shape[0])
                throw new InvalidDataException(
                    $"The factors of '{weightName}' in {source} have shapes [{string.Join(", ", tensor.shape)}] and [{string.Join(", ", right.shape)}]; expected [out, rank] and [rank, in].");
            weights.Add(new LowRankWeightDelta(weightName, (int)tensor.shape[0], (int)right.shape[1], (int)tensor.shape[1], Values(tensor), Values(right)));
        }
        var orphan = tensors.Keys.FirstOrDefault(n => n.EndsWith(RightSuffix, StringComparison.Ordinal) && !tensors.ContainsKey(n[..^RightSuffix.Length] + LeftSuffix));
        if (orphan is not null) throw new InvalidDataException($"{source} has the right factor '{orphan}' but no left factor.");
        return new FineTuneDelta(weights, others, ReadInt(metadata, "adapter_rank", source), ReadDouble(metadata, "adapter_alpha", source),
            ReadDouble(metadata, "update_ratio", source));
    }

    private static float[] Values(Tensor tensor)
    {
        using var asFloat = tensor.to(ScalarType.Float32).contiguous();
        return asFloat.data<float>().ToArray();
    }

    private static int ReadInt(IReadOnlyDictionary<string, string> metadata, string key, string source)
        => metadata.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new InvalidDataException($"{source} has no valid '{key}' in its metadata; expected a positive integer.");

    private static double ReadDouble(IReadOnlyDictionary<string, string> metadata, string key, string source)
        => metadata.TryGetValue(key, out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw new InvalidDataException($"{source} has no valid '{key}' in its metadata; expected a number.");
}
