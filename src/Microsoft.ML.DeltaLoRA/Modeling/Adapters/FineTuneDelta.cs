namespace Microsoft.ML.DeltaLoRA.Modeling.Adapters;

/// <summary>
/// Exactly what a LoRA or Delta-LoRA fine-tune changed in its base model: for every adapted weight, W_T − W_0 = Left·Right,
/// and every other tensor the method trained (the head, and anything else it trains), whole.
/// Delta-LoRA's updates telescope: W_T − W_0 = λ·s·(B_T·A_T − B_K·A_K) before merging, and merging adds s·B_T·A_T, so
/// Left = [(1+λ)·s·B_T, −λ·s·B_K] (out × 2r) and Right = [A_T; A_K] (2r × in), with s the layer's scaling (α/r, or α/√r with
/// rsLoRA). LoRA is λ = 0: Left = s·B_T (out × r), Right = A_T. The scaling is folded into Left, so the product is the delta.
/// </summary>
/// <param name="AdaptedWeights">One entry per adapted linear weight, in model order.</param>
/// <param name="OtherTrainedTensors">Every trained tensor that is not an adapted weight, by its Hugging Face name.</param>
/// <param name="AdapterRank">r, as configured (a Delta-LoRA factor pair has up to 2r columns/rows).</param>
/// <param name="AdapterAlpha">α, as configured.</param>
/// <param name="UpdateRatio">λ (0 for LoRA).</param>
internal sealed record FineTuneDelta(
    IReadOnlyList<LowRankWeightDelta> AdaptedWeights,
    IReadOnlyDictionary<string, TrainedTensor> OtherTrainedTensors,
    int AdapterRank,
    double AdapterAlpha,
    double UpdateRatio);

/// <summary>W_T − W_0 = Left·Right for one linear weight of <paramref name="Rows"/> × <paramref name="Columns"/> (out × in).</summary>
/// <param name="WeightName">The weight's Hugging Face name, e.g. <c>bert.encoder.layer.0.attention.self.query.weight</c>.</param>
/// <param name="Rows">The weight's output features.</param>
/// <param name="Columns">The weight's input features.</param>
/// <param name="Rank">The factors' inner dimension: r for LoRA, up to 2r for Delta-LoRA.</param>
/// <param name="Left">Row-major, Rows × Rank.</param>
/// <param name="Right">Row-major, Rank × Columns.</param>
internal sealed record LowRankWeightDelta(string WeightName, int Rows, int Columns, int Rank, float[] Left, float[] Right);

/// <summary>A trained tensor's shape and float32 values (row-major).</summary>
internal sealed record TrainedTensor(long[] Shape, float[] Values);
