using System.Collections;
using System.Diagnostics.CodeAnalysis;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Checkpoints;

/// <summary>
/// Named tensors read from checkpoint files (CPU; floating-point tensors as float32), each remembering the file it came from
/// so that errors can name it. Owns its tensors: disposing it disposes them.
/// </summary>
internal sealed class StateDict : IReadOnlyDictionary<string, Tensor>, IDisposable
{
    private readonly Dictionary<string, Tensor> tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> sources = new(StringComparer.Ordinal);

    /// <summary>Adds a tensor read from <paramref name="sourceFile"/>; the dictionary takes ownership of it.</summary>
    public void Add(string name, Tensor tensor, string sourceFile)
    {
        if (tensors.TryGetValue(name, out _))
        {
            tensor.Dispose();
            throw new InvalidDataException($"The tensor '{name}' appears twice: in '{sources[name]}' and in '{sourceFile}'.");
        }
        tensors[name] = tensor;
        sources[name] = sourceFile;
    }

    /// <summary>The file a tensor was read from.</summary>
    public string SourceOf(string name) => sources.TryGetValue(name, out var file) ? file : "(unknown file)";

    /// <summary>Every file the tensors came from (one unless the checkpoint is sharded).</summary>
    public IReadOnlyCollection<string> SourceFiles => sources.Values.Distinct().ToArray();

    /// <summary>Moves every tensor of <paramref name="other"/> into this dictionary; <paramref name="other"/> is left empty.</summary>
    public void TakeAll(StateDict other)
    {
        foreach (var (name, tensor) in other.tensors) Add(name, tensor, other.sources[name]);
        other.tensors.Clear();
        other.sources.Clear();
    }

    public Tensor this[string key] => tensors.TryGetValue(key, out var tensor)
        ? tensor
        : throw new KeyNotFoundException($"The checkpoint ({string.Join(", ", SourceFiles)}) has no tensor '{key}'.");

    public IEnumerable<string> Keys => tensors.Keys;
    public IEnumerable<Tensor> Values => tensors.Values;
    public int Count => tensors.Count;
    public bool ContainsKey(string key) => tensors.ContainsKey(key);
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out Tensor value) => tensors.TryGetValue(key, out value);
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => tensors.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        foreach (var tensor in tensors.Values) tensor.Dispose();
        tensors.Clear();
        sources.Clear();
    }
}
