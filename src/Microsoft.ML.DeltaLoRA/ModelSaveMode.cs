namespace Microsoft.ML.DeltaLoRA;

/// <summary>
/// What <c>MLContext.Model.Save</c> writes for a fine-tuned model (<see cref="DeltaLoRAOptions.SaveMode"/>); see docs/adapters.md.
/// </summary>
public enum ModelSaveMode
{
    /// <summary>
    /// The default: the whole network with the adapters merged (<c>model.safetensors</c>), so the zip loads on any machine.
    /// A LoRA or Delta-LoRA model also carries its small delta and a reference to its base, so that it can later be written
    /// compact (<c>deltalora export --format compact</c>) or as an adapter.
    /// </summary>
    Full,

    /// <summary>
    /// The base model by reference (its name or folder and the SHA-256 of its weight files) plus what fine-tuning changed: the
    /// rank-r (LoRA) or rank-2r (Delta-LoRA) factors of every adapted weight and every other trained tensor (the head). Loading
    /// needs the same base: in the model cache under its name, or at its folder. Full fine-tuning changes every weight, so its
    /// models save in full (<see cref="MLNet.DeltaLoRATransformer.SaveMode"/> says which mode a model saves in).
    /// </summary>
    Compact,
}
