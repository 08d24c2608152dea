using Microsoft.ML.DeltaLoRA.Modeling;

namespace Microsoft.ML.DeltaLoRA.Tests.Pretrained;

/// <summary>
/// A theory that needs pretrained models from the model cache (./build.sh test fetches them) and ../shared (real sentences);
/// skipped with the fetch command, or the shared folder's reason, when either is absent.
/// </summary>
public sealed class NamedModelTheoryAttribute : TheoryAttribute
{
    public NamedModelTheoryAttribute(params string[] names) => Skip = NamedModelSkip.Reason(names);
}

/// <summary>A fact that needs pretrained models from the model cache and ../shared; skipped with a reason when either is absent.</summary>
public sealed class NamedModelFactAttribute : FactAttribute
{
    public NamedModelFactAttribute(params string[] names) => Skip = NamedModelSkip.Reason(names);
}

internal static class NamedModelSkip
{
    public static string? Reason(string[] names)
    {
        if (!Infrastructure.SharedData.IsAvailable) return Infrastructure.SharedData.MissingReason;
        var missing = names.Where(name => !IsFetched(name)).ToArray();
        return missing.Length == 0
            ? null
            : $"The model(s) {string.Join(", ", missing)} are not in the model cache ({ModelCache.Root}); " +
              $"fetch them with build/fetch-model.sh {string.Join(" ", missing)}.";
    }

    /// <summary>Whether the model <paramref name="name"/> resolves to a fetched (and, for USE-Lite, verified) folder now.</summary>
    public static bool IsFetched(string name)
    {
        try
        {
            NamedModels.ResolveFolder(name);
            return true;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or InvalidDataException)
        {
            return false;
        }
    }
}
