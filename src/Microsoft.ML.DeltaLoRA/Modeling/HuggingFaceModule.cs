using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Modeling;

// TorchSharp registers every Module/Parameter/Tensor field of a submodule under the field's name when the submodule is
// registered (RegisterComponents). Our children are registered explicitly under Hugging Face names ("self", "LayerNorm"),
// so field-name registration would add each of them a second time under a C# name; these bases switch it off.

/// <summary>A module with one input whose children are registered explicitly, under their Hugging Face names.</summary>
internal abstract class HuggingFaceModule<T, TResult> : Module<T, TResult>
{
    protected HuggingFaceModule(string name) : base(name) { }

    protected override void RegisterComponents() { }

    /// <summary>Registers <paramref name="module"/> as the child <paramref name="name"/> and returns it.</summary>
    protected TModule Child<TModule>(string name, TModule module) where TModule : Module
    {
        register_module(name, module);
        return module;
    }
}

/// <summary>A module with two inputs whose children are registered explicitly, under their Hugging Face names.</summary>
internal abstract class HuggingFaceModule<T1, T2, TResult> : Module<T1, T2, TResult>
{
    protected HuggingFaceModule(string name) : base(name) { }

    protected override void RegisterComponents() { }

    /// <summary>Registers <paramref name="module"/> as the child <paramref name="name"/> and returns it.</summary>
    protected TModule Child<TModule>(string name, TModule module) where TModule : Module
    {
        register_module(name, module);
        return module;
    }
}
