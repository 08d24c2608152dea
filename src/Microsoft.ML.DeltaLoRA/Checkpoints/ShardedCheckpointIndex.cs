using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.DeltaLoRA.Checkpoints;

/// <summary>
/// A sharded checkpoint's index (<c>model.safetensors.index.json</c> or <c>pytorch_model.bin.index.json</c>):
/// a <c>weight_map</c> from tensor name to the shard file that holds it.
/// </summary>
internal static class ShardedCheckpointIndex
{
    public static StateDict Read(string indexFile, Func<string, StateDict> readShard)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(indexFile))!;
        var weightMap = ReadWeightMap(indexFile);
        var result = new StateDict();
        try
        {
            foreach (var shard in weightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                var shardFile = Path.Combine(folder, shard);
                if (!File.Exists(shardFile))
                    throw new FileNotFoundException($"The checkpoint index '{indexFile}' names the shard '{shard}', which does not exist in '{folder}'.", shardFile);
                using var tensors = readShard(shardFile);
                foreach (var (name, expectedShard) in weightMap.Where(pair => pair.Value == shard))
                {
                    if (!tensors.ContainsKey(name))
                        throw new InvalidDataException($"The checkpoint index '{indexFile}' places tensor '{name}' in shard '{shardFile}', which does not contain it.");
                }
                result.TakeAll(tensors);
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>The shard files the index names, relative to its folder, in ordinal order.</summary>
    public static IReadOnlyList<string> ShardNames(string indexFile)
        => ReadWeightMap(indexFile).Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    private static Dictionary<string, string> ReadWeightMap(string indexFile)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(indexFile));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The checkpoint index '{indexFile}' is not valid JSON: {e.Message}", e);
        }
        if (root?["weight_map"] is not JsonObject map)
            throw new InvalidDataException($"The checkpoint index '{indexFile}' has no 'weight_map' object.");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, shard) in map)
        {
            var file = shard is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
            if (string.IsNullOrEmpty(file) || Path.IsPathRooted(file) || file.Contains("..", StringComparison.Ordinal))
                throw new InvalidDataException($"The checkpoint index '{indexFile}' maps tensor '{name}' to '{shard?.ToJsonString()}', which is not a shard file name in its folder.");
            result[name] = file;
        }
        return result;
    }
}
