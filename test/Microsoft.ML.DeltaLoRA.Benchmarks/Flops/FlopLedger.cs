namespace Microsoft.ML.DeltaLoRA.Benchmarks.Flops;

/// <summary>A tensor flowing through the network, as far as autograd cares: whether it depends on a trainable parameter.</summary>
internal readonly record struct Flow(bool RequiresGrad)
{
    public static Flow Frozen { get; } = new(false);

    /// <summary>The result of an element-wise op (add, LayerNorm, activation) on these inputs, with parameters that may train.</summary>
    public static Flow Join(params ReadOnlySpan<Flow> inputs)
    {
        foreach (var input in inputs)
            if (input.RequiresGrad) return new Flow(true);
        return Frozen;
    }

    public static Flow Join(Flow input, bool parameterTrains) => new(input.RequiresGrad || parameterTrains);
}

/// <summary>One matrix product of the count, with its forward FLOPs and the backward FLOPs autograd needs for it.</summary>
internal sealed record MatmulEntry(string Name, double Forward, double InputGradient, double WeightGradient)
{
    public double Backward => InputGradient + WeightGradient;
}

/// <summary>
/// Counts the useful FLOPs of one training step (forward + backward) or one inference pass, matrix products only
/// (element-wise ops, softmax, LayerNorm, the optimizer and the Delta-LoRA update are left out: they are memory-bound and
/// small next to the products). A product of an [m×k] and a [k×n] operand costs 2·m·k·n FLOPs forward. Its backward costs
/// one more such product for each operand that needs a gradient:
/// <list type="bullet">
/// <item>a trainable weight W (full fine-tuning, the task head): ∂L/∂W = ∂L/∂yᵀ·x, 1× forward;</item>
/// <item>an input that depends on some trainable parameter: ∂L/∂x = ∂L/∂y·W, 1× forward. With W frozen (LoRA) this is all
/// the backward of W·x; where nothing upstream trains (layer 0 of LoRA, whose input is the frozen embeddings) there is none;</item>
/// <item>the adapter branch B·(A·x): A and B always train, so ∂L/∂A, ∂L/∂B and ∂L/∂(A·x) are needed, plus ∂L/∂x through A
/// when x needs a gradient;</item>
/// <item>attention scores Q·Kᵀ and context P·V (both operands activations): 1× per operand that depends on a trainable parameter.</item>
/// </list>
/// So full fine-tuning costs 3× forward and LoRA about 2× forward, as autograd would compute it: "useful" means what this
/// rule needs, not what libtorch happens to run (its fused attention backward, for example, also makes ∂L/∂K where K is frozen).
/// </summary>
internal sealed class FlopLedger
{
    private readonly List<MatmulEntry> _entries = [];

    public IReadOnlyList<MatmulEntry> Entries => _entries;
    public double Forward => _entries.Sum(e => e.Forward);
    public double Backward => _entries.Sum(e => e.Backward);
    public double Total => Forward + Backward;

    /// <summary>
    /// y = x·Wᵀ + b (+ s·B·A·x with an adapter of <paramref name="adapterRank"/> &gt; 0) on <paramref name="rows"/> rows of
    /// <paramref name="inFeatures"/> values, giving <paramref name="outFeatures"/> values each.
    /// </summary>
    public Flow Linear(string name, Flow input, double rows, long inFeatures, long outFeatures, bool weightTrains, bool biasTrains, int adapterRank)
    {
        double product = 2.0 * rows * inFeatures * outFeatures;
        _entries.Add(new MatmulEntry(name, product, input.RequiresGrad ? product : 0, weightTrains ? product : 0));
        if (adapterRank > 0)
        {
            double down = 2.0 * rows * inFeatures * adapterRank; // A·x
            double up = 2.0 * rows * adapterRank * outFeatures;  // B·(A·x)
            // ∂L/∂B and ∂L/∂(A·x) for the up-projection; ∂L/∂A (and ∂L/∂x when x needs it) for the down-projection.
            _entries.Add(new MatmulEntry(name + ".lora_B", up, up, up));
            _entries.Add(new MatmulEntry(name + ".lora_A", down, input.RequiresGrad ? down : 0, down));
        }
        return new Flow(input.RequiresGrad || weightTrains || biasTrains || adapterRank > 0);
    }

    /// <summary>A product of two activations (attention), of <paramref name="forwardFlops"/> FLOPs.</summary>
    public Flow Product(string name, Flow left, Flow right, double forwardFlops)
    {
        int operandsNeedingGradient = (left.RequiresGrad ? 1 : 0) + (right.RequiresGrad ? 1 : 0);
        _entries.Add(new MatmulEntry(name, forwardFlops, operandsNeedingGradient * forwardFlops, 0));
        return Flow.Join(left, right);
    }
}
