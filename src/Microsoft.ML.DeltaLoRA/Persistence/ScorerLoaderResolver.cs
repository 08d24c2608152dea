namespace Microsoft.ML.DeltaLoRA.Persistence;

/// <summary>
/// Names a scorer loader in the model file ("Namespace.Type, AssemblySimpleName") and finds it again when loading. Only
/// types implementing <see cref="ITextScorerLoader"/> are ever instantiated.
/// </summary>
internal static class ScorerLoaderResolver
{
    public static string NameOf(Type loaderType)
    {
        if (!typeof(ITextScorerLoader).IsAssignableFrom(loaderType) || loaderType.IsAbstract)
            throw new InvalidOperationException($"Scorer loader type '{loaderType}' must be a concrete {nameof(ITextScorerLoader)}.");
        return $"{loaderType.FullName}, {loaderType.Assembly.GetName().Name}";
    }

    public static ITextScorerLoader Resolve(string name)
    {
        Type? type;
        try
        {
            type = Type.GetType(name, throwOnError: false);
        }
        catch (Exception e) when (e is IOException or BadImageFormatException or ArgumentException)
        {
            throw new InvalidDataException($"The model's scorer loader '{name}' cannot be loaded: {e.Message}", e);
        }
        if (type is null)
            throw new InvalidDataException($"The model's scorer loader '{name}' was not found; the assembly that defines it must be loadable by this application.");
        if (!typeof(ITextScorerLoader).IsAssignableFrom(type) || type.IsAbstract)
            throw new InvalidDataException($"The model names '{name}' as its scorer loader, which is not a concrete {nameof(ITextScorerLoader)}.");
        return (ITextScorerLoader)Activator.CreateInstance(type, nonPublic: true)!;
    }
}
