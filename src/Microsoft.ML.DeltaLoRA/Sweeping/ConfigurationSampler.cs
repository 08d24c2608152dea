namespace Microsoft.ML.DeltaLoRA.Sweeping;

/// <summary>Draws configurations from a search space along a seeded <see cref="HaltonSequence"/>.</summary>
internal sealed class ConfigurationSampler(DeltaLoRASearchSpace space, int seed)
{
    private readonly HaltonSequence _sequence = new(dimensions: 6, seed);
    private int _drawn;

    public SweepConfiguration Next()
    {
        var u = _sequence.Point(++_drawn);
        var method = Choose(space.Methods, u[0]);
        return new SweepConfiguration(_drawn, method, space.LearningRateFor(method).At(u[1]), Choose(space.Ranks, u[2]),
            space.UpdateRatio.At(u[3]), space.StartStepsFraction.At(u[4]), space.Epochs.At(u[5]));
    }

    private static T Choose<T>(T[] values, double unit) => values[Math.Min((int)(unit * values.Length), values.Length - 1)];
}
