using System.Reflection;
using System.Text.Json;

namespace Microsoft.ML.DeltaLoRA.Tests.Sweeping;

/// <summary>
/// What ML.NET AutoML's <c>SearchSpace&lt;T&gt;</c> needs of an options type (its sampled <c>Parameter</c> becomes a T by JSON,
/// property by property): a parameterless constructor and public settable properties. System.Text.Json ignores public fields.
/// </summary>
public class AutoMLReadyOptionsTests
{
    [Fact]
    public void Options_bind_from_a_sampled_json_parameter_by_property_name()
    {
        var parameter = """{"LearningRate":0.0012,"Rank":16,"UpdateRatio":0.75,"StartSteps":7,"Epochs":2,"Method":1,"ModelPath":"models/x","InferenceBatchSize":64,"EarlyStoppingPatience":2}""";

        var options = JsonSerializer.Deserialize<DeltaLoRAOptions>(parameter)!;

        Assert.Equal(0.0012, options.LearningRate);
        Assert.Equal(16, options.Rank);
        Assert.Equal(0.75, options.UpdateRatio);
        Assert.Equal(7, options.StartSteps);
        Assert.Equal(2, options.Epochs);
        Assert.Equal(FineTuningMethod.LoRA, options.Method);
        Assert.Equal("models/x", options.ModelPath);
        Assert.Equal(64, options.InferenceBatchSize);
        Assert.Equal(2, options.EarlyStoppingPatience);
        Assert.Equal(new DeltaLoRAOptions().BatchSize, options.BatchSize); // what the parameter does not name keeps its default
    }

    [Fact]
    public void Every_option_is_a_public_settable_property_with_a_parameterless_constructor()
    {
        Assert.NotNull(typeof(DeltaLoRAOptions).GetConstructor(Type.EmptyTypes));
        Assert.Empty(typeof(DeltaLoRAOptions).GetFields(BindingFlags.Public | BindingFlags.Instance));
        Assert.All(typeof(DeltaLoRAOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance),
            p => Assert.True(p.SetMethod?.IsPublic == true, $"{p.Name} has no public setter"));
    }
}
