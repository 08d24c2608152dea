namespace Microsoft.ML.DeltaLoRA.Checkpoints.Pickle;

/// <summary>A tensor's storage as a PyTorch pickle's persistent id names it: element type, storage key and element count.</summary>
internal sealed record StorageReference(StoredElementType Type, string Key, long ElementCount);

/// <summary>A tensor as <c>torch._utils._rebuild_tensor_v2</c> describes it: a strided view of a storage.</summary>
internal sealed record TensorReference(StorageReference Storage, long Offset, long[] Shape, long[] Stride);

/// <summary>
/// The only Python globals a PyTorch state dict needs: <c>collections.OrderedDict</c>, <c>torch._utils._rebuild_tensor_v2</c>,
/// <c>torch._utils._rebuild_parameter</c> and the typed storage classes (<c>torch.FloatStorage</c>, ...).
/// Any other global is refused with an error that names it, before anything else is read.
/// </summary>
internal sealed class TorchStateDictGlobals(string file) : IPickleGlobals
{
    private sealed record Callable(string Name);

    private static readonly Callable OrderedDict = new("collections.OrderedDict");
    private static readonly Callable RebuildTensor = new("torch._utils._rebuild_tensor_v2");
    private static readonly Callable RebuildParameter = new("torch._utils._rebuild_parameter");

    public object Resolve(PickleGlobal global)
    {
        switch (global.Module, global.Name)
        {
            case ("collections", "OrderedDict"): return OrderedDict;
            case ("torch._utils", "_rebuild_tensor_v2"): return RebuildTensor;
            case ("torch._utils", "_rebuild_parameter"): return RebuildParameter;
        }
        if (global.Module == "torch" && StoredElementType.FromStorageClass(global.Name) is { } storageType) return storageType;
        throw new InvalidDataException(
            $"The PyTorch checkpoint '{file}' refers to the Python global '{global}', which a state dict does not need; " +
            "refusing to load it, because unpickling it could run code.");
    }

    public object? Call(object? callable, object?[] arguments)
    {
        if (ReferenceEquals(callable, OrderedDict)) return new PickleDict();
        if (ReferenceEquals(callable, RebuildTensor)) return RebuildTensorV2(arguments);
        if (ReferenceEquals(callable, RebuildParameter))
        {
            return arguments is [TensorReference data, ..]
                ? data
                : throw Corrupt($"_rebuild_parameter gets {Describe(arguments)} instead of a tensor");
        }
        throw Corrupt($"its pickle calls {RestrictedUnpickler.Describe(callable)}, which is not callable");
    }

    public void Build(object? target, object? state)
    {
        // torch's state dicts are OrderedDicts carrying a '_metadata' attribute (module versions); it is not needed.
        if (target is PickleDict) return;
        throw Corrupt($"its pickle sets the state of {RestrictedUnpickler.Describe(target)}, which a state dict never does");
    }

    /// <summary>Reads a persistent id <c>('storage', type, key, location, count[, view])</c>.</summary>
    public StorageReference ReadStorageId(object? persistentId)
    {
        if (persistentId is not PickleTuple { Count: >= 5 } id || id[0] as string != "storage")
            throw Corrupt($"it has a persistent id {RestrictedUnpickler.Describe(persistentId)} that is not a storage");
        if (id.Count > 5 && id[5] is not null)
            throw Corrupt("it stores a storage view (a pre-1.0 format), which is not supported");
        var type = id[1] as StoredElementType ?? throw Corrupt($"a storage has type {RestrictedUnpickler.Describe(id[1])}");
        var key = id[2] as string ?? throw Corrupt($"a storage has key {RestrictedUnpickler.Describe(id[2])}");
        var count = id[4] is long n && n >= 0 ? n : throw Corrupt($"storage '{key}' has size {RestrictedUnpickler.Describe(id[4])}");
        return new StorageReference(type, key, count);
    }

    private TensorReference RebuildTensorV2(object?[] arguments)
    {
        if (arguments is not [StorageReference storage, long offset, PickleTuple size, PickleTuple stride, ..])
            throw Corrupt($"_rebuild_tensor_v2 gets {Describe(arguments)} instead of (storage, offset, size, stride, ...)");
        var shape = ToLongs(size, "size");
        var strides = ToLongs(stride, "stride");
        if (shape.Length != strides.Length)
            throw Corrupt($"a tensor of storage '{storage.Key}' has {shape.Length} dimensions but {strides.Length} strides");
        return new TensorReference(storage, offset, shape, strides);
    }

    private long[] ToLongs(PickleTuple tuple, string what)
        => tuple.Items.Select(item => item is long value && value >= 0 ? value : throw Corrupt($"a tensor {what} holds {RestrictedUnpickler.Describe(item)}")).ToArray();

    private static string Describe(object?[] arguments) => $"({string.Join(", ", arguments.Select(RestrictedUnpickler.Describe))})";

    private InvalidDataException Corrupt(string problem) => new($"The PyTorch checkpoint '{file}' cannot be read: {problem}.");
}
