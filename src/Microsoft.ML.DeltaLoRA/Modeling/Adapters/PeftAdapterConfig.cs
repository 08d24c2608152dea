using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Microsoft.ML.DeltaLoRA.Modeling.Adapters;

/// <summary>
/// The part of a Hugging Face PEFT LoRA adapter's <c>adapter_config.json</c> that decides what the adapter computes, read with
/// every option this library does not reproduce refused (DoRA, fan_in_fan_out, trained biases, per-layer rank or α patterns,
/// layer selections): an adapter is applied exactly, or not at all. Refusals are <see cref="InvalidDataException"/>s, as for any
/// file the library cannot read, naming the file and the option.
/// </summary>
/// <param name="TaskType">PEFT's <c>task_type</c>: <c>SEQ_CLS</c>, or null.</param>
/// <param name="Rank">r: the rows of every lora_A and the columns of every lora_B.</param>
/// <param name="LoraAlpha">α.</param>
/// <param name="UseRsLora">Scaling α/√r instead of α/r.</param>
/// <param name="TargetModules">Module names or name suffixes (PEFT's list form); null when <paramref name="TargetModulesPattern"/> is given.</param>
/// <param name="TargetModulesPattern">A regular expression a module's full name must match entirely (PEFT's string form).</param>
/// <param name="ModulesToSave">Modules trained and stored whole (the head), as listed; PEFT adds <see cref="SequenceClassificationHeads"/> for SEQ_CLS.</param>
/// <param name="BaseModelNameOrPath">The base model the adapter was trained on, as PEFT records it.</param>
internal sealed record PeftAdapterConfig(
    string? TaskType,
    int Rank,
    double LoraAlpha,
    bool UseRsLora,
    IReadOnlyList<string>? TargetModules,
    string? TargetModulesPattern,
    IReadOnlyList<string> ModulesToSave,
    string? BaseModelNameOrPath)
{
    public const string FileName = "adapter_config.json";
    public const string SequenceClassificationTask = "SEQ_CLS";

    /// <summary>What <c>PeftModelForSequenceClassification</c> adds to <c>modules_to_save</c> for every SEQ_CLS adapter.</summary>
    public static IReadOnlyList<string> SequenceClassificationHeads { get; } = ["classifier", "score"];

    /// <summary>s in W + s·B·A: PEFT's <c>lora_alpha / r</c>, or <c>lora_alpha / sqrt(r)</c> with <c>use_rslora</c> (the library's one rule).</summary>
    public double Scaling => LoRALinear.ScalingOf(Rank, LoraAlpha, UseRsLora);

    /// <summary>The modules PEFT wraps whole: those listed, plus the SEQ_CLS defaults.</summary>
    public IReadOnlyList<string> EffectiveModulesToSave
        => TaskType == SequenceClassificationTask ? ModulesToSave.Concat(SequenceClassificationHeads).Distinct().ToArray() : ModulesToSave;

    /// <summary>
    /// Whether PEFT puts a LoRA adapter on the module named <paramref name="moduleName"/> (PEFT's <c>check_target_module_exists</c>):
    /// a list entry matches the whole name or a suffix at a dot boundary; a string is a regular expression for the whole name
    /// (matched under a time limit: the file may come from anyone).
    /// </summary>
    public bool Targets(string moduleName)
        => TargetModulesPattern is not null
            ? Regex.IsMatch(moduleName, $"^(?:{TargetModulesPattern})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))
            : TargetModules!.Any(target => PeftNames.MatchesTarget(moduleName, target));

    /// <summary>
    /// Whether PEFT wraps the module named <paramref name="moduleName"/> in a <c>ModulesToSaveWrapper</c> (PEFT's <c>_set_trainable</c>):
    /// its name ends with an entry, by plain string suffix, so <c>classifier</c> also wraps DistilBERT's <c>pre_classifier</c>.
    /// </summary>
    public bool SavesWhole(string moduleName) => EffectiveModulesToSave.Any(entry => moduleName.EndsWith(entry, StringComparison.Ordinal));

    /// <summary>Reads and checks <c>adapter_config.json</c> in <paramref name="folder"/>.</summary>
    public static PeftAdapterConfig Read(string folder)
    {
        var file = Path.Combine(folder, FileName);
        if (!File.Exists(file)) throw new FileNotFoundException($"'{folder}' is not a PEFT adapter folder: it has no {FileName}.", file);
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? throw new InvalidDataException($"'{file}' does not hold a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{file}' is not valid JSON: {e.Message}", e);
        }
        return Parse(root, file);
    }

    private static PeftAdapterConfig Parse(JsonObject root, string file)
    {
        var peftType = String(root, "peft_type", file);
        if (peftType != "LORA")
            throw new InvalidDataException($"'{file}' describes a PEFT adapter of type '{peftType ?? "(none)"}'; only LoRA adapters (peft_type \"LORA\") can be loaded.");
        var taskType = String(root, "task_type", file);
        if (taskType is not null && taskType != SequenceClassificationTask)
            throw new InvalidDataException(
                $"'{file}' has task_type \"{taskType}\"; only sequence-classification adapters (\"{SequenceClassificationTask}\", PeftModelForSequenceClassification) can be loaded.");
        RequireUnset(root, "use_dora", JsonValueKind.True, "DoRA (use_dora true) rescales each weight column; only plain LoRA is supported", file);
        RequireUnset(root, "fan_in_fan_out", JsonValueKind.True, "fan_in_fan_out true stores GPT-2-style Conv1D weights; BERT, RoBERTa and DistilBERT use nn.Linear", file);
        var bias = String(root, "bias", file) ?? "none";
        if (bias != "none")
            throw new InvalidDataException($"'{file}' has bias \"{bias}\": the adapter trained biases too; only bias \"none\" adapters are supported.");
        foreach (var pattern in new[] { "rank_pattern", "alpha_pattern" })
        {
            if (root[pattern] is JsonObject { Count: > 0 })
                throw new InvalidDataException($"'{file}' sets {pattern} (a rank or α per layer); only adapters with one r and one lora_alpha are supported.");
        }
        if (root["layers_to_transform"] is JsonNode layers && !(layers is JsonArray { Count: 0 }))
            throw new InvalidDataException($"'{file}' sets layers_to_transform; only adapters on every layer its target_modules name are supported.");

        int rank = root["r"] is JsonValue r && r.TryGetValue<int>(out var rValue) && rValue > 0
            ? rValue
            : throw new InvalidDataException($"'{file}' has no valid \"r\": expected a positive integer, the adapter rank.");
        double alpha = root["lora_alpha"] is JsonValue a && a.TryGetValue<double>(out var alphaValue) && double.IsFinite(alphaValue) && alphaValue > 0
            ? alphaValue
            : throw new InvalidDataException($"'{file}' has no valid \"lora_alpha\": expected a positive number.");
        bool rsLora = root["use_rslora"] is JsonValue rs && rs.GetValueKind() == JsonValueKind.True;

        IReadOnlyList<string>? targets = null;
        string? targetPattern = null;
        switch (root["target_modules"])
        {
            case JsonValue value when value.TryGetValue<string>(out var pattern):
                try
                {
                    _ = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                }
                catch (ArgumentException e)
                {
                    throw new InvalidDataException($"'{file}' has a target_modules regular expression that does not parse: {e.Message}", e);
                }
                targetPattern = pattern;
                break;
            case JsonArray array when array.Count > 0:
                targets = Strings(array, "target_modules", file);
                break;
            default:
                throw new InvalidDataException($"'{file}' has no \"target_modules\": expected a list of module names or a regular expression.");
        }
        var modulesToSave = root["modules_to_save"] is JsonArray saved ? Strings(saved, "modules_to_save", file) : [];
        return new PeftAdapterConfig(taskType, rank, alpha, rsLora, targets, targetPattern, modulesToSave, String(root, "base_model_name_or_path", file));
    }

    private static string? String(JsonObject root, string key, string file) => root[key] switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => throw new InvalidDataException($"'{file}' has a \"{key}\" that is not a string."),
    };

    private static string[] Strings(JsonArray array, string key, string file)
        => array.Select(item => item is JsonValue value && value.TryGetValue<string>(out var text)
            ? text
            : throw new InvalidDataException($"'{file}' lists a \"{key}\" entry that is not a string.")).ToArray();

    private static void RequireUnset(JsonObject root, string key, JsonValueKind refused, string why, string file)
    {
        if (root[key] is JsonValue value && value.GetValueKind() == refused)
            throw new InvalidDataException($"'{file}' sets {key}: {why}.");
    }
}
