namespace Microsoft.ML.DeltaLoRA.Tests.Training;

public class FineTuningOptionsTests
{
    [Fact]
    public void DefaultsAreThePapersGlueSettings()
    {
        var options = new FineTuningOptions();
        Assert.Equal(FineTuningMethod.DeltaLoRA, options.Method);
        Assert.Equal(8, options.Rank);
        Assert.Equal(16, options.Alpha);
        Assert.Equal(0.5, options.UpdateRatio);
        Assert.Null(options.StartSteps);
        Assert.Null(options.TargetModules);
        Assert.False(options.RankStabilized);
        Assert.Equal(5e-4, options.LearningRate);
        Assert.Equal(LearningRateSchedule.LinearWarmupLinearDecay, options.Schedule);
        Assert.Equal(0.06, options.WarmupRatio);
        Assert.Null(options.WarmupSteps);
        Assert.Equal(0.01, options.WeightDecay);
        Assert.False(options.DecayAllParameters);
        Assert.Equal(1.0, options.MaxGradientNorm);
        Assert.Equal(1, options.GradientAccumulationSteps);
        Assert.Equal(16, options.BatchSize);
        Assert.Equal(3, options.Epochs);
        Assert.Null(options.MaxSteps);
        Assert.Equal(128, options.MaxSequenceLength);
        Assert.Null(options.DropoutOverride);
        Assert.Null(options.Seed);
        Assert.False(options.LengthBucketing);
        options.Validate();
    }

    public static TheoryData<string, Action<FineTuningOptions>, string> InvalidValues => new()
    {
        { nameof(FineTuningOptions.Method), o => o.Method = (FineTuningMethod)7, "one of DeltaLoRA, LoRA, Full" },
        { nameof(FineTuningOptions.Rank), o => o.Rank = 0, "at least 1" },
        { nameof(FineTuningOptions.Alpha), o => o.Alpha = 0, "positive and finite" },
        { nameof(FineTuningOptions.Alpha), o => o.Alpha = double.NaN, "positive and finite" },
        { nameof(FineTuningOptions.UpdateRatio), o => o.UpdateRatio = -0.1, "zero or more, and finite" },
        { nameof(FineTuningOptions.UpdateRatio), o => o.UpdateRatio = double.PositiveInfinity, "zero or more, and finite" },
        { nameof(FineTuningOptions.StartSteps), o => o.StartSteps = -1, "at least 0" },
        { nameof(FineTuningOptions.TargetModules), o => o.TargetModules = [], "null (the model's default targets) or at least one layer name" },
        { nameof(FineTuningOptions.TargetModules), o => o.TargetModules = ["query", " "], "layer-name suffixes such as 'query', 'value' or 'attention.output.dense' (non-empty segments, no spaces)" },
        { nameof(FineTuningOptions.TargetModules), o => o.TargetModules = ["attention..query"], "layer-name suffixes such as 'query', 'value' or 'attention.output.dense' (non-empty segments, no spaces)" },
        { nameof(FineTuningOptions.LearningRate), o => o.LearningRate = 0, "positive and finite" },
        { nameof(FineTuningOptions.Schedule), o => o.Schedule = (LearningRateSchedule)9, "one of LinearWarmupLinearDecay, LinearWarmupConstant, Constant" },
        { nameof(FineTuningOptions.WarmupRatio), o => o.WarmupRatio = 1, "in [0, 1)" },
        { nameof(FineTuningOptions.WarmupRatio), o => o.WarmupRatio = -0.01, "in [0, 1)" },
        { nameof(FineTuningOptions.WarmupSteps), o => o.WarmupSteps = -5, "at least 0" },
        { nameof(FineTuningOptions.WeightDecay), o => o.WeightDecay = -1e-3, "zero or more, and finite" },
        { nameof(FineTuningOptions.MaxGradientNorm), o => o.MaxGradientNorm = 0, "positive and finite, or null for no clipping" },
        { nameof(FineTuningOptions.GradientAccumulationSteps), o => o.GradientAccumulationSteps = 0, "at least 1" },
        { nameof(FineTuningOptions.BatchSize), o => o.BatchSize = 0, "at least 1" },
        { nameof(FineTuningOptions.Epochs), o => o.Epochs = 0, "at least 1" },
        { nameof(FineTuningOptions.MaxSteps), o => o.MaxSteps = 0, "at least 1" },
        { nameof(FineTuningOptions.MaxSequenceLength), o => o.MaxSequenceLength = 1, "at least 2" },
        { nameof(FineTuningOptions.DropoutOverride), o => o.DropoutOverride = 1.0, "in [0, 1), or null to keep the model's dropout" },
    };

    [Theory]
    [MemberData(nameof(InvalidValues))]
    public void ValidateNamesTheOptionTheAllowedRangeAndTheValue(string option, Action<FineTuningOptions> makeInvalid, string allowedRange)
    {
        var options = new FineTuningOptions();
        makeInvalid(options);
        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(option, error.ParamName);
        Assert.Contains($"{option} must be {allowedRange}; found ", error.Message);
    }

    [Fact]
    public void NullableOptionsAcceptNullAndBoundaryValues()
    {
        var options = new FineTuningOptions
        {
            UpdateRatio = 0, StartSteps = 0, WarmupRatio = 0, WarmupSteps = 0, WeightDecay = 0, MaxGradientNorm = null,
            DropoutOverride = 0, TargetModules = ["query", "key", "value", "dense"], Schedule = LearningRateSchedule.Constant,
        };
        options.Validate();
    }

    [Fact]
    public void CloneIsIndependentOfTheOriginal()
    {
        var options = new FineTuningOptions { TargetModules = ["query"], Rank = 4 };
        var copy = options.Clone();
        options.Rank = 2;
        options.TargetModules[0] = "key";
        Assert.Equal(4, copy.Rank);
        Assert.Equal(["query"], copy.TargetModules!);
    }
}
