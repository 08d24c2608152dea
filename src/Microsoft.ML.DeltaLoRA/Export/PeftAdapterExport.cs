using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Export;

/// <summary>
/// Writes a <see cref="FineTuneDelta"/> as a Hugging Face PEFT LoRA adapter folder (<c>adapter_config.json</c>,
/// <c>adapter_model.safetensors</c>, README.md) that <c>PeftModel.from_pretrained</c> applies to the original base loaded as
/// <c>AutoModelForSequenceClassification</c>, reproducing our logits.
/// <para>
/// Each adapted weight's W_T − W_0 = Left·Right is written as lora_B = Left, lora_A = Right with lora_alpha = r, so PEFT's scaling
/// lora_alpha / r is exactly 1 and multiplies nothing: LoRA's s·B_T·A_T (rank r) and Delta-LoRA's
/// [(1+λ)·s·B_T, −λ·s·B_K]·[A_T; A_K] (rank 2r) are the same kind of file. A factor pair of lower rank than the largest is padded
/// with zero columns/rows, which changes no product, because PEFT's config has one r. The head and any other trained module go in
/// <c>modules_to_save</c>, stored whole under PEFT's names (<see cref="PeftNames"/>).
/// </para>
/// </summary>
internal static class PeftAdapterExport
{
    public const string ReadmeFileName = "README.md";

    /// <summary>
    /// Writes the adapter folder of a fitted pipeline's model, whose fine-tune changed its base by <paramref name="delta"/>;
    /// the README's loading snippet names its classes.
    /// </summary>
    public static void Write(DeltaLoRATransformer transformer, FineTuneDelta delta, string baseModelNameOrPath, string folder)
    {
        var (model, task) = HuggingFaceExport.ModelAndTask(transformer);
        Write(delta, model.Network, baseModelNameOrPath, folder, task.ClassNames);
    }

    /// <summary>
    /// Writes the adapter folder. <paramref name="network"/> is the fine-tuned model's architecture (its layer names, shapes and
    /// head; its values are not read); <paramref name="baseModelNameOrPath"/> is what the adapter applies to, recorded as
    /// <c>base_model_name_or_path</c> (a named model is written as its Hub id). <paramref name="classNames"/>, when given, go in
    /// the README's loading snippet. The folder appears whole or not at all.
    /// </summary>
    public static void Write(FineTuneDelta delta, SequenceClassifier network, string baseModelNameOrPath, string folder, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(delta);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(baseModelNameOrPath);
        RequireTransformersHead(network);
        if (delta.AdaptedWeights.Count == 0)
            throw new ArgumentException("The fine-tune adapted no weight: a PEFT LoRA adapter needs at least one (full fine-tuning has no low-rank delta; export it with --format hf).", nameof(delta));

        var linear = network.named_modules().Where(m => m.module is LoRALinear).ToDictionary(m => m.name, m => (LoRALinear)m.module, StringComparer.Ordinal);
        var parameters = ModuleTensors.Export(network);
        var modules = delta.AdaptedWeights.Select(w => AdaptedModule(w, linear)).ToArray();
        var repeated = modules.GroupBy(m => m, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null) throw new ArgumentException($"The fine-tune lists the adapted weight '{repeated.Key}.weight' twice.", nameof(delta));
        var modulesToSave = ModulesToSave(delta, network, parameters);
        int rank = delta.AdaptedWeights.Max(w => w.Rank);
        var baseName = NamedModels.Find(baseModelNameOrPath)?.HubId ?? baseModelNameOrPath;
        var configJson = ConfigJson(rank, TargetModules(modules, linear.Keys, network.HeadParameterPrefixes), modulesToSave, baseName);
        var readme = Readme(network, baseName, classNames);

        ExportFolder.Write(folder, staging =>
        {
            using var scope = torch.NewDisposeScope();
            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (weight, module) in delta.AdaptedWeights.Zip(modules))
            {
                tensors[PeftNames.LoraB(module)] = Padded(weight.Left, weight.Rows, weight.Rank, rank, padColumns: true);
                tensors[PeftNames.LoraA(module)] = Padded(weight.Right, weight.Rank, weight.Columns, rank, padColumns: false);
            }
            foreach (var (name, tensor) in delta.OtherTrainedTensors)
                tensors[PeftNames.Saved(name)] = torch.tensor(tensor.Values, tensor.Shape);
            File.WriteAllText(Path.Combine(staging, PeftAdapterConfig.FileName), configJson);
            using (var stream = File.Create(Path.Combine(staging, PeftNames.WeightsFileName)))
                SafetensorsWriter.Write(stream, tensors, HuggingFaceExport.PyTorchMetadata);
            File.WriteAllText(Path.Combine(staging, ReadmeFileName), readme);
        });
    }

    /// <summary>PeftModelForSequenceClassification wraps transformers' own class, so its head must be ours.</summary>
    private static void RequireTransformersHead(SequenceClassifier network)
    {
        if (network is not IPretrainedTaskModel)
            throw new NotSupportedException($"A {network.Family} model has no Hugging Face transformers architecture, so it has no PEFT adapter form; BERT, RoBERTa and DistilBERT models do.");
        if (HuggingFaceLayouts.Of(network) != HuggingFaceLayout.SequenceClassification)
            throw new NotSupportedException(
                $"This {network.Family} model's head reads the tokens by {network.Pooling}{(network.PairEncoding == SentencePairEncoding.BiEncoder ? " as a bi-encoder" : "")}, " +
                "which transformers' ...ForSequenceClassification (what a PEFT SEQ_CLS adapter applies to) cannot compute: it reads BERT's pooler. " +
                "Fine-tune with Pooling = Pooler to export a PEFT adapter, or export this model with --format hf.");
    }

    /// <summary>The module of an adapted weight, checked against the network: a linear layer outside the head, of the delta's shape.</summary>
    private static string AdaptedModule(LowRankWeightDelta weight, IReadOnlyDictionary<string, LoRALinear> linear)
    {
        const string suffix = ".weight";
        var module = weight.WeightName.EndsWith(suffix, StringComparison.Ordinal) ? weight.WeightName[..^suffix.Length] : null;
        if (module is null || !linear.TryGetValue(module, out var layer))
            throw new ArgumentException($"The adapted weight '{weight.WeightName}' is not the weight of a linear layer of the model.", nameof(weight));
        if (layer.OutFeatures != weight.Rows || layer.InFeatures != weight.Columns)
            throw new ArgumentException($"The delta of '{weight.WeightName}' is {weight.Rows}×{weight.Columns}, but that layer is {layer.OutFeatures}×{layer.InFeatures}.", nameof(weight));
        if (weight.Left.Length != (long)weight.Rows * weight.Rank || weight.Right.Length != (long)weight.Rank * weight.Columns)
            throw new ArgumentException($"The factors of '{weight.WeightName}' do not hold {weight.Rows}×{weight.Rank} and {weight.Rank}×{weight.Columns} values.", nameof(weight));
        return module;
    }

    /// <summary>
    /// The modules PEFT must store whole: every module a trained tensor belongs to, the head's as one module per head prefix
    /// (<c>classifier</c>, <c>bert.pooler</c>, <c>pre_classifier</c>), since PEFT wraps and saves a module with all its tensors
    /// and its loader fails on any it lacks. So each such module's tensors must all be in the delta.
    /// </summary>
    private static string[] ModulesToSave(FineTuneDelta delta, SequenceClassifier network, IReadOnlyDictionary<string, Tensor> parameters)
    {
        var modules = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in delta.OtherTrainedTensors)
        {
            if (!parameters.TryGetValue(name, out var parameter))
                throw new ArgumentException($"The trained tensor '{name}' is not a tensor of the {network.Family} model.", nameof(delta));
            if (!parameter.shape.SequenceEqual(tensor.Shape) || tensor.Values.Length != tensor.Shape.Aggregate(1L, (a, b) => a * b))
                throw new ArgumentException($"The trained tensor '{name}' has shape [{string.Join(", ", tensor.Shape)}]; the model's is [{string.Join(", ", parameter.shape)}].", nameof(delta));
            var headPrefix = network.HeadParameterPrefixes.FirstOrDefault(prefix => name.StartsWith(prefix, StringComparison.Ordinal));
            modules.Add(headPrefix is not null ? headPrefix.TrimEnd('.') : name[..name.LastIndexOf('.')]);
        }
        foreach (var module in modules)
        {
            var lacking = parameters.Keys.Where(name => name.StartsWith(module + ".", StringComparison.Ordinal) && !delta.OtherTrainedTensors.ContainsKey(name)).ToArray();
            if (lacking.Length > 0)
                throw new ArgumentException(
                    $"The module '{module}' is saved whole in a PEFT adapter, but the fine-tune's trained tensors lack its {string.Join(", ", lacking)}.", nameof(delta));
        }
        return [.. modules];
    }

    /// <summary>
    /// target_modules as short as it can be and still select exactly the adapted layers by PEFT's rule (a name or a dot-suffix):
    /// the layers' last name segments (<c>query</c>, <c>value</c>) when they do, else every adapted module's full name.
    /// </summary>
    private static string[] TargetModules(IReadOnlyList<string> adapted, IEnumerable<string> linearNames, IReadOnlyList<string> headPrefixes)
    {
        var candidates = linearNames.Where(name => !headPrefixes.Any(prefix => (name + ".").StartsWith(prefix, StringComparison.Ordinal))).ToArray();
        var lastSegments = adapted.Select(name => name[(name.LastIndexOf('.') + 1)..]).Distinct().Order(StringComparer.Ordinal).ToArray();
        var selected = candidates.Where(name => lastSegments.Any(target => PeftNames.MatchesTarget(name, target)));
        return selected.ToHashSet(StringComparer.Ordinal).SetEquals(adapted) ? lastSegments : [.. adapted.Order(StringComparer.Ordinal)];
    }

    private static Tensor Padded(float[] values, int rows, int columns, int rank, bool padColumns)
    {
        var tensor = torch.tensor(values, [rows, columns]);
        if ((padColumns ? columns : rows) == rank) return tensor;
        var padded = padColumns ? torch.zeros(rows, rank) : torch.zeros(rank, columns);
        using (var view = padColumns ? padded.narrow(1, 0, columns) : padded.narrow(0, 0, rows)) view.copy_(tensor);
        return padded;
    }

    /// <summary>
    /// adapter_config.json with the fields PEFT has read since 0.9 (use_rslora, use_dora), so older and newer PEFT versions load it;
    /// fields PEFT added later keep their defaults. lora_alpha = r makes the scaling 1 (the factors hold it already).
    /// </summary>
    private static string ConfigJson(int rank, string[] targetModules, string[] modulesToSave, string baseModelNameOrPath)
    {
        var config = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = PeftAdapterConfig.SequenceClassificationTask,
            ["base_model_name_or_path"] = baseModelNameOrPath,
            ["revision"] = null,
            ["inference_mode"] = true,
            ["r"] = rank,
            ["lora_alpha"] = rank,
            ["lora_dropout"] = 0.0,
            ["use_rslora"] = false,
            ["use_dora"] = false,
            ["target_modules"] = new JsonArray(targetModules.Select(t => (JsonNode)JsonValue.Create(t)).ToArray()),
            ["modules_to_save"] = new JsonArray(modulesToSave.Select(m => (JsonNode)JsonValue.Create(m)).ToArray()),
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["init_lora_weights"] = true,
            ["layers_to_transform"] = null,
            ["layers_pattern"] = null,
            ["rank_pattern"] = new JsonObject(),
            ["alpha_pattern"] = new JsonObject(),
        };
        return config.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static string Readme(SequenceClassifier network, string baseName, IReadOnlyList<string>? classNames)
    {
        var labels = classNames is null
            ? $"num_labels={network.NumLabels}"
            : $"id2label={{{string.Join(", ", classNames.Select((name, i) => $"{i}: {JsonSerializer.Serialize(name)}"))}}}";
        return $"""
            # PEFT LoRA adapter

            Written by Microsoft.ML.DeltaLoRA: a {network.Family} sequence classifier's fine-tune as a LoRA adapter of
            `{baseName}`. Each adapted weight's change W_T − W_0 is stored exactly as lora_B·lora_A; the scaling is folded into
            lora_B, so `lora_alpha` equals `r` (PEFT's scaling lora_alpha / r = 1). A Delta-LoRA fine-tune, which also moves W, is
            a LoRA adapter of rank 2r in this form. The head is in `modules_to_save`.

            ```python
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
            from peft import PeftModel

            base = AutoModelForSequenceClassification.from_pretrained("{baseName}", {labels})
            model = PeftModel.from_pretrained(base, "path/to/this/folder").eval()
            tokenizer = AutoTokenizer.from_pretrained("{baseName}")
            ```

            `model.merge_and_unload()` folds the adapter into the weights.
            """;
    }
}
