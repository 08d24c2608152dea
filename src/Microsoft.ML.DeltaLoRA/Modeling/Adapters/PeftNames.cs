namespace Microsoft.ML.DeltaLoRA.Modeling.Adapters;

/// <summary>
/// How PEFT names a LoRA adapter's files and tensors, as its <c>save_pretrained</c> writes them (<c>get_peft_model_state_dict</c>):
/// the PeftModel's state-dict keys with the adapter name (<c>.default</c>) removed, so
/// <c>base_model.model.&lt;module&gt;.lora_A.weight</c> / <c>.lora_B.weight</c>, and a <c>modules_to_save</c> module's tensors under
/// their own names (<c>base_model.model.classifier.weight</c>: the wrapper's <c>modules_to_save.default.</c> is removed too).
/// Module names are the transformers model's, which are ours (<c>bert.encoder.layer.0.attention.self.query</c>).
/// </summary>
internal static class PeftNames
{
    public const string WeightsFileName = "adapter_model.safetensors";

    /// <summary>What PEFT wrote before it saved safetensors by default (a PyTorch pickle, read without executing anything).</summary>
    public const string PickleWeightsFileName = "adapter_model.bin";

    /// <summary>PeftModel → LoraModel (<c>base_model</c>) → the transformers model (<c>model</c>).</summary>
    public const string Prefix = "base_model.model.";

    private const string LoraASuffix = ".lora_A.weight";
    private const string LoraBSuffix = ".lora_B.weight";

    public static string LoraA(string module) => Prefix + module + LoraASuffix;

    public static string LoraB(string module) => Prefix + module + LoraBSuffix;

    /// <summary>A tensor of a whole-saved module (the head), by its name in the model.</summary>
    public static string Saved(string tensorName) => Prefix + tensorName;

    /// <summary>Whether <paramref name="folder"/> is a PEFT adapter folder (it has <c>adapter_config.json</c>).</summary>
    public static bool IsAdapterFolder(string folder) => File.Exists(Path.Combine(folder, PeftAdapterConfig.FileName));

    /// <summary>PEFT's list form of <c>target_modules</c>: the whole module name, or a suffix of it at a dot boundary.</summary>
    public static bool MatchesTarget(string moduleName, string target)
        => moduleName == target || moduleName.EndsWith("." + target, StringComparison.Ordinal);

    /// <summary>The module of a <c>lora_A</c>/<c>lora_B</c> key and which factor it is; null for a key of another kind.</summary>
    public static (string Module, bool IsA)? ParseLora(string key)
    {
        if (!key.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        if (key.EndsWith(LoraASuffix, StringComparison.Ordinal)) return (key[Prefix.Length..^LoraASuffix.Length], true);
        if (key.EndsWith(LoraBSuffix, StringComparison.Ordinal)) return (key[Prefix.Length..^LoraBSuffix.Length], false);
        return null;
    }

    /// <summary>
    /// PEFT keeps a key as a LoRA tensor when it contains <c>lora_</c> (<c>get_peft_model_state_dict</c> with bias "none"); every
    /// other key of the file is a whole-saved module's.
    /// </summary>
    public static bool IsLoraKey(string key) => key.Contains("lora_", StringComparison.Ordinal);
}
