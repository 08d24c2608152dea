using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Modeling.Adapters;

/// <summary>
/// A linear layer that can carry a low-rank adapter: h = W·x + b + s·B·A·x with s = α/r (or α/√r for rsLoRA).
/// Every linear layer of our encoders is one of these, so that adapters attach by name without replacing modules.
/// Parameter names (<c>weight</c>, <c>bias</c>, <c>lora_A</c>, <c>lora_B</c>) match Hugging Face and PEFT checkpoints.
/// There is no dropout on the low-rank branch: that keeps ∂L/∂W equal to ∂L/∂(BA), which Delta-LoRA relies on.
/// </summary>
internal sealed class LoRALinear : Module<Tensor, Tensor>
{
    public LoRALinear(long inFeatures, long outFeatures, bool hasBias = true, Device? device = null, ScalarType dtype = ScalarType.Float32)
        : base(nameof(LoRALinear))
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        // W is [out, in] as in Hugging Face, stored as the transpose of a contiguous [in, out] tensor: linear(x, W) then hands
        // BLAS x·(Wᵀ) without a transposed operand. A short row's products are small enough that packing a transposed operand
        // is a visible share of their cost (up to a third for a 25-token row of MiniLM); batched products are as fast either way.
        using (var storage = torch.empty(inFeatures, outFeatures, dtype: dtype, device: device))
            weight = new Parameter(storage.t());
        register_parameter(nameof(weight), weight);
        // nn.Linear's default initialisation, drawn in [out, in] order, so that freshly created heads behave like Hugging Face's.
        using (var initial = torch.empty(outFeatures, inFeatures, dtype: dtype, device: device))
        using (torch.no_grad())
        {
            torch.nn.init.kaiming_uniform_(initial, a: Math.Sqrt(5));
            weight.copy_(initial);
        }
        if (hasBias)
        {
            double bound = 1.0 / Math.Sqrt(inFeatures);
            bias = new Parameter(torch.empty(outFeatures, dtype: dtype, device: device));
            torch.nn.init.uniform_(bias, -bound, bound);
            register_parameter(nameof(bias), bias);
        }
    }

    public long InFeatures { get; }
    public long OutFeatures { get; }

    // TorchSharp's to(device/dtype) replaces each registered parameter by assigning the public property of the same name,
    // and does not register the new one itself: the setters keep the registration in step (once a name is registered).
#pragma warning disable IDE1006 // Names as in Hugging Face checkpoints.
    public Parameter weight { get; private set => field = KeepRegistered(nameof(weight), value)!; }
    public Parameter? bias { get; private set => field = KeepRegistered(nameof(bias), value); }
    public Parameter? lora_A { get; private set => field = KeepRegistered(nameof(lora_A), value); }
    public Parameter? lora_B { get; private set => field = KeepRegistered(nameof(lora_B), value); }
#pragma warning restore IDE1006

    private Parameter? KeepRegistered(string name, Parameter? value)
    {
        if (value is not null && _internal_params.ContainsKey(name)) _internal_params[name] = value;
        return value;
    }

    // Parameters are registered explicitly above; TorchSharp's field scan would add the backing fields under their own names.
    protected override void RegisterComponents() { }

    /// <summary>r; 0 when no adapter is attached.</summary>
    public int Rank { get; private set; }

    /// <summary>s in h = W·x + b + s·B·A·x (see <see cref="ScalingOf"/>).</summary>
    public double Scaling { get; private set; }

    /// <summary>The low-rank branch's scale: α/r, or α/√r for rsLoRA (Kalajdzievski 2023). The library's one definition of it.</summary>
    public static double ScalingOf(int rank, double alpha, bool rankStabilized) => rankStabilized ? alpha / Math.Sqrt(rank) : alpha / rank;

    public bool HasAdapter => Rank > 0;

    /// <summary>
    /// Attaches A (r×in, Kaiming-uniform with a = √5, i.e. bound 1/√in) and B (out×r, zeros), so the layer's output is unchanged at first.
    /// </summary>
    public void AttachAdapter(int rank, double alpha, bool rankStabilized = false)
    {
        if (rank <= 0) throw new ArgumentOutOfRangeException(nameof(rank), rank, "The adapter rank r must be positive.");
        if (HasAdapter) throw new InvalidOperationException($"This layer already has an adapter of rank {Rank}.");
        var a = new Parameter(torch.empty(rank, InFeatures, dtype: weight.dtype, device: weight.device));
        torch.nn.init.kaiming_uniform_(a, a: Math.Sqrt(5));
        var b = new Parameter(torch.zeros(OutFeatures, rank, dtype: weight.dtype, device: weight.device));
        register_parameter(nameof(lora_A), a);
        register_parameter(nameof(lora_B), b);
        lora_A = a;
        lora_B = b;
        Rank = rank;
        Scaling = ScalingOf(rank, alpha, rankStabilized);
    }

    public override Tensor forward(Tensor input)
    {
        var output = torch.nn.functional.linear(input, weight, bias);
        if (!HasAdapter) return output;
        using var down = torch.nn.functional.linear(input, lora_A!);
        using var up = torch.nn.functional.linear(down, lora_B!);
        using var scaling = Scaling.ToScalar();
        return output.add_(up, alpha: scaling);
    }

    /// <summary>
    /// Folds s·B·A into W and removes the adapter, so that inference costs exactly what the base layer costs.
    /// </summary>
    public void MergeAdapter()
    {
        if (!HasAdapter) return;
        using (torch.no_grad())
        {
            weight.addmm_(lora_B!, lora_A!, beta: 1, alpha: (float)Scaling);
        }
        DetachAdapter();
    }

    /// <summary>Removes the adapter without touching W (LoRA weights are discarded).</summary>
    public void DetachAdapter()
    {
        if (!HasAdapter) return;
        var a = lora_A!;
        var b = lora_B!;
        _internal_params.Remove(nameof(lora_A));
        _internal_params.Remove(nameof(lora_B));
        lora_A = null;
        lora_B = null;
        Rank = 0;
        Scaling = 0;
        a.Dispose();
        b.Dispose();
    }
}
