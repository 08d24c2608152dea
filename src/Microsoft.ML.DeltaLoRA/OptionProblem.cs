namespace Microsoft.ML.DeltaLoRA;

/// <summary>One invalid option: its name, the value found and what it must be.</summary>
internal sealed record OptionProblem(string Option, object? Value, string Allowed)
{
    public string Message => $"{Option} must be {Allowed}; found {Value ?? "null"}.";

    /// <summary>One exception for all the problems: named after the first, with one line per problem.</summary>
    public static void ThrowIfAny(IReadOnlyList<OptionProblem> problems)
    {
        if (problems.Count == 0) return;
        var message = string.Join(Environment.NewLine, problems.Select(p => p.Message));
        throw new ArgumentOutOfRangeException(problems[0].Option, problems[0].Value, message);
    }
}

/// <summary>The common range checks of the options classes, adding to a list instead of throwing.</summary>
internal readonly struct OptionChecks(List<OptionProblem> problems)
{
    public void Defined<TEnum>(TEnum value, string name) where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value)) problems.Add(new(name, value, $"one of {string.Join(", ", Enum.GetNames<TEnum>())}"));
    }

    public void AtLeast(int value, int minimum, string name)
    {
        if (value < minimum) problems.Add(new(name, value, $"at least {minimum}"));
    }

    public void Positive(double value, string name, string allowed = "positive and finite")
    {
        if (!(value > 0 && double.IsFinite(value))) problems.Add(new(name, value, allowed));
    }

    public void NonNegative(double value, string name)
    {
        if (!(value >= 0 && double.IsFinite(value))) problems.Add(new(name, value, "zero or more, and finite"));
    }
}
