using Microsoft.ML.DeltaLoRA.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Modeling.Adapters;

/// <summary>One adapted linear layer of a PEFT adapter: W ← W + s·B·A with A [r, in] and B [out, r].</summary>
internal sealed record PeftLowRankPair(string Module, Tensor A, Tensor B);

/// <summary>
/// A Hugging Face PEFT LoRA adapter folder, read and checked against itself (<see cref="Read"/>), then checked against a base
/// network and merged into it (<see cref="ApplyTo"/>): s·B·A added to each targeted W, the whole-saved modules (the head) copied.
/// Every check runs before the network is touched, so a refused adapter leaves the base as it was. Owns its tensors.
/// </summary>
internal sealed class PeftAdapter : IDisposable
{
    private readonly StateDict _tensors;

    private PeftAdapter(string folder, PeftAdapterConfig config, StateDict tensors, IReadOnlyList<PeftLowRankPair> pairs, IReadOnlyDictionary<string, Tensor> saved)
    {
        Folder = folder;
        Config = config;
        _tensors = tensors;
        LowRankPairs = pairs;
        SavedTensors = saved;
    }

    public string Folder { get; }
    public PeftAdapterConfig Config { get; }

    /// <summary>The adapted layers, in the file's (name) order.</summary>
    public IReadOnlyList<PeftLowRankPair> LowRankPairs { get; }

    /// <summary>The whole-saved modules' tensors (the head), by their names in the model.</summary>
    public IReadOnlyDictionary<string, Tensor> SavedTensors { get; }

    private string WeightsFile => _tensors.SourceFiles.FirstOrDefault() ?? Path.Combine(Folder, PeftNames.WeightsFileName);

    /// <summary>
    /// Reads <c>adapter_config.json</c> and <c>adapter_model.safetensors</c> (or the older <c>adapter_model.bin</c>), and checks
    /// that the tensors are what the config says: every key under <see cref="PeftNames.Prefix"/>, each adapted module with both
    /// lora_A and lora_B, of rank r, and finite.
    /// </summary>
    public static PeftAdapter Read(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var config = PeftAdapterConfig.Read(folder);
        var tensors = ReadWeights(folder);
        try
        {
            var file = tensors.SourceFiles.FirstOrDefault() ?? folder;
            var factors = new Dictionary<string, (Tensor? A, Tensor? B)>(StringComparer.Ordinal);
            var saved = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (key, tensor) in tensors.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                if (!key.StartsWith(PeftNames.Prefix, StringComparison.Ordinal))
                    throw new InvalidDataException($"The tensor '{key}' in '{file}' does not start with '{PeftNames.Prefix}', as PEFT's save_pretrained names every tensor.");
                RequireFinite(key, tensor, file);
                if (!PeftNames.IsLoraKey(key))
                {
                    saved[key[PeftNames.Prefix.Length..]] = tensor;
                    continue;
                }
                var (module, isA) = PeftNames.ParseLora(key)
                    ?? throw new InvalidDataException(
                        $"The tensor '{key}' in '{file}' is not a LoRA factor of a linear layer (<module>.lora_A.weight or .lora_B.weight); " +
                        "DoRA magnitudes and LoRA on embeddings are not supported.");
                var pair = factors.GetValueOrDefault(module);
                factors[module] = isA ? pair with { A = tensor } : pair with { B = tensor };
            }
            if (factors.Count == 0)
                throw new InvalidDataException($"'{file}' holds no LoRA tensors (<module>.lora_A.weight / .lora_B.weight).");
            var pairs = factors.Select(f => Pair(f.Key, f.Value.A, f.Value.B, config.Rank, file)).ToArray();
            return new PeftAdapter(folder, config, tensors, pairs, saved);
        }
        catch
        {
            tensors.Dispose();
            throw;
        }
    }

    /// <summary>The number of rows of a whole-saved tensor (the head's output layer gives the number of labels), or null when absent.</summary>
    public long? RowsOf(string tensorName) => SavedTensors.TryGetValue(tensorName, out var tensor) && tensor.dim() == 2 ? tensor.shape[0] : null;

    /// <summary>
    /// Checks the adapter against <paramref name="network"/> (<paramref name="baseName"/> names it in errors), then merges it:
    /// W ← W + s·B·A for every adapted layer and the whole-saved tensors copied. Refused, naming the module or tensor: a
    /// target_modules entry that matches no linear layer of the base, a targeted layer without its tensors, a tensor for a
    /// layer the config does not target or the base lacks, and shapes that disagree with the base.
    /// </summary>
    public void ApplyTo(SequenceClassifier network, string baseName)
    {
        ArgumentNullException.ThrowIfNull(network);
        var linear = network.named_modules().Where(m => m.module is LoRALinear).ToDictionary(m => m.name, m => (LoRALinear)m.module, StringComparer.Ordinal);
        RequireTargetsExist(linear.Keys, baseName);
        var targeted = linear.Keys.Where(name => Config.Targets(name) && !InsideSavedModule(name)).ToHashSet(StringComparer.Ordinal);
        var pairs = LowRankPairs.ToDictionary(p => p.Module, StringComparer.Ordinal);
        foreach (var pair in LowRankPairs)
        {
            if (!linear.TryGetValue(pair.Module, out var layer))
                throw new InvalidDataException(
                    $"'{WeightsFile}' adapts the layer '{pair.Module}', which the base model {baseName} does not have (its {network.Family} linear layers are named like '{linear.Keys.First()}').");
            if (!targeted.Contains(pair.Module))
                throw new InvalidDataException(
                    $"'{WeightsFile}' adapts the layer '{pair.Module}', which target_modules [{TargetsText}] in {PeftAdapterConfig.FileName} does not select.");
            if (pair.A.shape[1] != layer.InFeatures || pair.B.shape[0] != layer.OutFeatures)
                throw new InvalidDataException(
                    $"The adapter of '{pair.Module}' in '{WeightsFile}' is for a {pair.B.shape[0]}×{pair.A.shape[1]} weight (lora_B [{pair.B.shape[0]}, r], lora_A [r, {pair.A.shape[1]}]), " +
                    $"but that layer of the base model {baseName} is {layer.OutFeatures}×{layer.InFeatures}: the adapter was trained on another base model.");
        }
        var missing = targeted.Where(name => !pairs.ContainsKey(name)).Order(StringComparer.Ordinal).ToArray();
        if (missing.Length > 0)
            throw new InvalidDataException(
                $"'{WeightsFile}' lacks the LoRA tensors of {missing.Length} layer(s) that target_modules [{TargetsText}] selects in the base model {baseName}, " +
                $"for example '{PeftNames.LoraA(missing[0])}' and '{PeftNames.LoraB(missing[0])}'.");

        var parameters = ModuleTensors.Export(network);
        foreach (var (name, tensor) in SavedTensors)
        {
            if (!parameters.TryGetValue(name, out var target))
                throw new InvalidDataException($"'{WeightsFile}' holds '{PeftNames.Saved(name)}', but the base model {baseName} has no tensor '{name}'.");
            if (!SavedWhole(name))
                throw new InvalidDataException(
                    $"'{WeightsFile}' holds '{PeftNames.Saved(name)}', but no module of it is in modules_to_save [{string.Join(", ", Config.EffectiveModulesToSave)}].");
            ModuleTensors.CheckShape(name, target, tensor, WeightsFile);
        }

        var scaling = Config.Scaling;
        using (torch.no_grad())
        {
            foreach (var pair in LowRankPairs)
            {
                var weight = linear[pair.Module].weight;
                using var b = pair.B.to(weight.dtype, weight.device);
                using var a = pair.A.to(weight.dtype, weight.device);
                weight.addmm_(b, a, beta: 1, alpha: (float)scaling);
            }
            foreach (var (name, tensor) in SavedTensors) parameters[name].copy_(tensor);
        }
    }

    public void Dispose() => _tensors.Dispose();

    private string TargetsText => Config.TargetModulesPattern ?? string.Join(", ", Config.TargetModules!);

    /// <summary>PEFT raises when nothing matches; each entry matching something catches a typo or an adapter for another architecture.</summary>
    private void RequireTargetsExist(IEnumerable<string> layerNames, string baseName)
    {
        var names = layerNames.ToArray();
        var unknown = Config.TargetModules is { } list
            ? list.Where(target => !names.Any(name => PeftNames.MatchesTarget(name, target))).ToArray()
            : names.Any(Config.Targets) ? [] : [Config.TargetModulesPattern!];
        if (unknown.Length > 0)
        {
            var lastSegments = names.Select(name => name[(name.LastIndexOf('.') + 1)..]).Distinct().Order(StringComparer.Ordinal);
            throw new InvalidDataException(
                $"target_modules in '{Path.Combine(Folder, PeftAdapterConfig.FileName)}' names {string.Join(", ", unknown.Select(u => $"'{u}'"))}, which matches no linear layer of the base model {baseName}; " +
                $"its linear layers end with: {string.Join(", ", lastSegments)}.");
        }
    }

    /// <summary>PEFT never adapts a layer inside a whole-saved module (<c>check_target_module_exists</c>'s modules_to_save guard).</summary>
    private bool InsideSavedModule(string moduleName)
        => Config.EffectiveModulesToSave.Any(saved => $".{moduleName}.".Contains($".{saved}.", StringComparison.Ordinal));

    /// <summary>Whether a module that holds <paramref name="tensorName"/> is one PEFT saves whole.</summary>
    private bool SavedWhole(string tensorName)
    {
        var segments = tensorName.Split('.');
        for (int length = segments.Length - 1; length > 0; length--)
        {
            if (Config.SavesWhole(string.Join('.', segments[..length]))) return true;
        }
        return false;
    }

    private static PeftLowRankPair Pair(string module, Tensor? a, Tensor? b, int rank, string file)
    {
        if (a is null || b is null)
            throw new InvalidDataException($"'{file}' has '{(a is null ? PeftNames.LoraB(module) : PeftNames.LoraA(module))}' but not '{(a is null ? PeftNames.LoraA(module) : PeftNames.LoraB(module))}'.");
        if (a.dim() != 2 || b.dim() != 2 || a.shape[0] != rank || b.shape[1] != rank)
            throw new InvalidDataException(
                $"The adapter of '{module}' in '{file}' has lora_A [{string.Join(", ", a.shape)}] and lora_B [{string.Join(", ", b.shape)}]; " +
                $"with r = {rank} in {PeftAdapterConfig.FileName}, expected lora_A [{rank}, in] and lora_B [out, {rank}].");
        return new PeftLowRankPair(module, a, b);
    }

    private static StateDict ReadWeights(string folder)
    {
        var safetensors = Path.Combine(folder, PeftNames.WeightsFileName);
        if (File.Exists(safetensors)) return SafetensorsReader.Read(safetensors);
        var pickle = Path.Combine(folder, PeftNames.PickleWeightsFileName);
        if (File.Exists(pickle)) return PyTorchCheckpointReader.Read(pickle);
        throw new FileNotFoundException($"The PEFT adapter folder '{folder}' has no weights: expected {PeftNames.WeightsFileName} (or {PeftNames.PickleWeightsFileName}).", safetensors);
    }

    private static void RequireFinite(string key, Tensor tensor, string file)
    {
        if (!torch.is_floating_point(tensor)) throw new InvalidDataException($"The tensor '{key}' in '{file}' has type {tensor.dtype}; expected floating point.");
        using var finite = torch.isfinite(tensor).all();
        if (!finite.item<bool>()) throw new InvalidDataException($"The tensor '{key}' in '{file}' is not finite (NaN or infinity).");
    }
}
