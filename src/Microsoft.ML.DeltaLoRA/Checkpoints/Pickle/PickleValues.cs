namespace Microsoft.ML.DeltaLoRA.Checkpoints.Pickle;

/// <summary>A Python global (<c>module.name</c>) named by a pickle; only ever compared with an allow-list, never imported.</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>A Python tuple read from a pickle.</summary>
internal sealed class PickleTuple(object?[] items)
{
    public object?[] Items { get; } = items;
    public int Count => Items.Length;
    public object? this[int index] => Items[index];
}

/// <summary>A Python dict (or OrderedDict) read from a pickle, keeping insertion order.</summary>
internal sealed class PickleDict
{
    private readonly List<KeyValuePair<object, object?>> entries = [];
    private readonly Dictionary<object, int> indexOfKey = [];

    public IReadOnlyList<KeyValuePair<object, object?>> Entries => entries;

    public void Set(object? key, object? value)
    {
        var checkedKey = key ?? throw new InvalidDataException("A pickled dictionary has a None key, which a state dict never has.");
        if (indexOfKey.TryGetValue(checkedKey, out var index))
        {
            entries[index] = new(checkedKey, value);
            return;
        }
        indexOfKey[checkedKey] = entries.Count;
        entries.Add(new(checkedKey, value));
    }
}
