namespace Microsoft.ML.DeltaLoRA.Sweeping;

/// <summary>A range sampled on a log scale: equal chances for each decade (learning rates).</summary>
public sealed record LogUniformRange(double Min, double Max)
{
    /// <summary>The value at <paramref name="unit"/> ∈ [0, 1): Min·(Max/Min)^unit.</summary>
    public double At(double unit) => Math.Exp(Math.Log(Min) + unit * (Math.Log(Max) - Math.Log(Min)));

    internal void Validate(string name)
    {
        if (!(Min > 0 && double.IsFinite(Min) && Max >= Min && double.IsFinite(Max)))
            throw new ArgumentOutOfRangeException(name, this, $"{name} must have 0 < Min ≤ Max, both finite; found [{Min}, {Max}].");
    }
}

/// <summary>A range sampled uniformly.</summary>
public sealed record UniformRange(double Min, double Max)
{
    public double At(double unit) => Min + unit * (Max - Min);

    internal void Validate(string name, double lowest, double highest)
    {
        if (!(Min >= lowest && Max >= Min && Max <= highest))
            throw new ArgumentOutOfRangeException(name, this, $"{name} must have {lowest} ≤ Min ≤ Max ≤ {highest}; found [{Min}, {Max}].");
    }
}

/// <summary>Whole numbers from <see cref="Min"/> to <see cref="Max"/>, both included, equally likely.</summary>
public sealed record IntegerRange(int Min, int Max)
{
    public int At(double unit) => Min + Math.Min((int)Math.Floor(unit * ((long)Max - Min + 1)), Max - Min);

    internal void Validate(string name, int lowest)
    {
        if (!(Min >= lowest && Max >= Min))
            throw new ArgumentOutOfRangeException(name, this, $"{name} must have {lowest} ≤ Min ≤ Max; found [{Min}, {Max}].");
    }
}
