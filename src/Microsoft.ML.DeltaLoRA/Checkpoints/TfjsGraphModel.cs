using System.Text.Json;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Checkpoints;

/// <summary>
/// A TensorFlow.js graph model on disk: <c>model.json</c> (the GraphDef nodes in <c>modelTopology.node</c> and a
/// <c>weightsManifest</c>) plus the binary shards it names. Weights are read on demand, by name, as CPU tensors.
/// Shards of a group are read once and kept until the model is disposed.
/// </summary>
internal sealed class TfjsGraphModel : IDisposable
{
    private readonly Dictionary<string, TfjsWeightSpec> weights;
    private readonly List<TfjsWeightSpec> manifestOrder;
    private readonly IReadOnlyList<string>[] groupPaths;
    private readonly Dictionary<int, (byte[] Bytes, Dictionary<string, long> Offsets)> loadedGroups = new();

    private TfjsGraphModel(string modelJsonPath, List<TfjsGraphNode> nodes, List<TfjsWeightSpec> specs, IReadOnlyList<string>[] groupPaths)
    {
        ModelJsonPath = modelJsonPath;
        Nodes = nodes;
        manifestOrder = specs;
        this.groupPaths = groupPaths;
        weights = new Dictionary<string, TfjsWeightSpec>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            if (!weights.TryAdd(spec.Name, spec))
                throw new InvalidDataException($"{modelJsonPath} lists the weight '{spec.Name}' twice.");
        }
    }

    public string ModelJsonPath { get; }

    public IReadOnlyList<TfjsGraphNode> Nodes { get; }

    /// <summary>The manifest's weights by name.</summary>
    public IReadOnlyDictionary<string, TfjsWeightSpec> Weights => weights;

    /// <summary>Opens <paramref name="path"/>: a <c>model.json</c> file or the folder holding it. Shards are checked when first read.</summary>
    public static TfjsGraphModel Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string modelJson = Directory.Exists(path) ? Path.Combine(path, "model.json") : path;
        if (!File.Exists(modelJson)) throw new FileNotFoundException($"TF.js model file not found: {modelJson}", modelJson);

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(modelJson));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{modelJson} is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{modelJson}: expected a JSON object at the top level, found {root.ValueKind}.");
            var nodes = ReadNodes(root, modelJson);
            var (specs, groups) = ReadManifest(root, modelJson);
            return new TfjsGraphModel(modelJson, nodes, specs, groups);
        }
    }

    /// <summary>Reads the weight named <paramref name="name"/> as a new tensor (float32, int32 or bool) of its manifest shape.</summary>
    public Tensor ReadTensor(string name)
    {
        var spec = GetSpec(name);
        var (bytes, offsets) = LoadGroup(spec.GroupIndex);
        long offset = offsets[name];
        long length = TfjsWeightDecoder.ByteLength(spec, bytes, offset, DescribeGroup(spec.GroupIndex));
        return TfjsWeightDecoder.Decode(spec, bytes.AsSpan((int)offset, (int)length));
    }

    /// <summary>Reads a weight and checks that its shape is <paramref name="expectedShape"/>.</summary>
    public Tensor ReadTensor(string name, params long[] expectedShape)
    {
        var spec = GetSpec(name);
        if (!spec.Shape.SequenceEqual(expectedShape))
            throw new InvalidDataException($"{ModelJsonPath}: weight '{name}' has shape {spec.ShapeText}; expected [{string.Join(", ", expectedShape)}].");
        return ReadTensor(name);
    }

    public TfjsWeightSpec GetSpec(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return weights.TryGetValue(name, out var spec)
            ? spec
            : throw new InvalidDataException($"{ModelJsonPath} has no weight named '{name}' in its weightsManifest.");
    }

    public void Dispose() => loadedGroups.Clear();

    private (byte[] Bytes, Dictionary<string, long> Offsets) LoadGroup(int group)
    {
        if (loadedGroups.TryGetValue(group, out var loaded)) return loaded;
        string folder = Path.GetDirectoryName(Path.GetFullPath(ModelJsonPath))!;
        using var buffer = new MemoryStream();
        foreach (var relative in groupPaths[group])
        {
            string shard = Path.Combine(folder, relative);
            if (!File.Exists(shard))
                throw new FileNotFoundException($"Weight shard '{relative}' named in {ModelJsonPath} (group {group}) was not found at {shard}.", shard);
            using var stream = File.OpenRead(shard);
            stream.CopyTo(buffer);
        }
        byte[] bytes = buffer.ToArray();
        var offsets = new Dictionary<string, long>(StringComparer.Ordinal);
        long offset = 0;
        foreach (var spec in manifestOrder.Where(s => s.GroupIndex == group))
        {
            offsets[spec.Name] = offset;
            offset += TfjsWeightDecoder.ByteLength(spec, bytes, offset, DescribeGroup(group));
            if (offset > bytes.Length)
                throw new InvalidDataException(
                    $"{DescribeGroup(group)} holds {bytes.Length} bytes, but its weights up to '{spec.Name}' {spec.ShapeText} {spec.DType} need {offset}: a shard is truncated.");
        }
        if (offset != bytes.Length)
            throw new InvalidDataException($"{DescribeGroup(group)} holds {bytes.Length} bytes; its weights need exactly {offset}.");
        loaded = (bytes, offsets);
        loadedGroups[group] = loaded;
        return loaded;
    }

    private string DescribeGroup(int group) => $"Weight group {group} of {ModelJsonPath} (shards {string.Join(", ", groupPaths[group])})";

    private static List<TfjsGraphNode> ReadNodes(JsonElement root, string modelJson)
    {
        if (!root.TryGetProperty("modelTopology", out var topology) || topology.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{modelJson} has no 'modelTopology' object; expected a TF.js graph model.");
        if (!topology.TryGetProperty("node", out var nodeArray) || nodeArray.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{modelJson}: 'modelTopology' has no 'node' array; expected a TF.js graph model (a layers model is not supported).");
        var nodes = new List<TfjsGraphNode>();
        foreach (var node in nodeArray.EnumerateArray())
        {
            string name = RequiredString(node, "name", modelJson, "a graph node");
            string op = RequiredString(node, "op", modelJson, $"graph node '{name}'");
            var inputs = node.TryGetProperty("input", out var inputArray) && inputArray.ValueKind == JsonValueKind.Array
                ? inputArray.EnumerateArray().Select(i => i.GetString() ?? "").ToList()
                : new List<string>();
            nodes.Add(new TfjsGraphNode(name, op, inputs));
        }
        return nodes;
    }

    private static (List<TfjsWeightSpec>, IReadOnlyList<string>[]) ReadManifest(JsonElement root, string modelJson)
    {
        if (!root.TryGetProperty("weightsManifest", out var manifest) || manifest.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{modelJson} has no 'weightsManifest' array.");
        var specs = new List<TfjsWeightSpec>();
        var groups = new List<IReadOnlyList<string>>();
        int groupIndex = 0;
        foreach (var group in manifest.EnumerateArray())
        {
            string where = $"weightsManifest[{groupIndex}]";
            if (!group.TryGetProperty("paths", out var paths) || paths.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{modelJson}: {where} has no 'paths' array.");
            if (!group.TryGetProperty("weights", out var entries) || entries.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{modelJson}: {where} has no 'weights' array.");
            groups.Add(paths.EnumerateArray().Select(p => p.GetString() ?? throw new InvalidDataException($"{modelJson}: {where}.paths holds a non-string.")).ToList());
            foreach (var entry in entries.EnumerateArray())
                specs.Add(ReadSpec(entry, groupIndex, modelJson, where));
            groupIndex++;
        }
        return (specs, groups.ToArray());
    }

    private static TfjsWeightSpec ReadSpec(JsonElement entry, int groupIndex, string modelJson, string where)
    {
        string name = RequiredString(entry, "name", modelJson, $"a weight of {where}");
        string dtype = RequiredString(entry, "dtype", modelJson, $"weight '{name}'");
        if (!entry.TryGetProperty("shape", out var shapeArray) || shapeArray.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{modelJson}: weight '{name}' has no 'shape' array.");
        var shape = shapeArray.EnumerateArray().Select(d =>
            d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out long size) && size >= 0
                ? size
                : throw new InvalidDataException($"{modelJson}: weight '{name}' has shape entry {d.GetRawText()}; expected a non-negative integer.")).ToArray();
        TfjsQuantization? quantization = null;
        if (entry.TryGetProperty("quantization", out var q) && q.ValueKind == JsonValueKind.Object)
        {
            string qType = RequiredString(q, "dtype", modelJson, $"the quantization of weight '{name}'");
            double scale = q.TryGetProperty("scale", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : 1.0;
            double min = q.TryGetProperty("min", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetDouble() : 0.0;
            string original = q.TryGetProperty("original_dtype", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString()! : dtype;
            if (qType is "uint8" or "uint16" && (!q.TryGetProperty("scale", out _) || !q.TryGetProperty("min", out _)))
                throw new InvalidDataException($"{modelJson}: weight '{name}' is quantized as {qType} but lacks 'scale' or 'min'.");
            quantization = new TfjsQuantization(qType, scale, min, original);
        }
        return new TfjsWeightSpec(name, shape, dtype, quantization, groupIndex);
    }

    private static string RequiredString(JsonElement element, string property, string modelJson, string what)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new InvalidDataException($"{modelJson}: {what} has no '{property}' string.");
}
