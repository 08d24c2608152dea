using Microsoft.ML.Data;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// Rebuilds a fitted or loaded ML.NET model with each of its <see cref="DeltaLoRATransformer"/>s replaced, keeping every other step
/// (shared, not copied) and every step's scope, so that the rebuilt chain saves and scores as the original does. A chain's steps and
/// scopes are read through ML.NET's internal <c>ITransformerChainAccessor</c>, as its own chain saving does.
/// </summary>
internal static class TransformerChains
{
    /// <summary>
    /// <paramref name="model"/> with <paramref name="replace"/>(t) in place of each <see cref="DeltaLoRATransformer"/> t, in chains
    /// nested at any depth. Throws <see cref="ArgumentException"/> when the model holds none; if a replacement fails, those already
    /// made are disposed.
    /// </summary>
    public static ITransformer ReplaceScorers(ITransformer model, Func<DeltaLoRATransformer, DeltaLoRATransformer> replace)
    {
        ArgumentNullException.ThrowIfNull(model);
        var made = new List<DeltaLoRATransformer>();
        try
        {
            var rebuilt = Rebuild(model, original =>
            {
                var replacement = replace(original);
                made.Add(replacement);
                return replacement;
            });
            if (made.Count == 0)
                throw new ArgumentException($"The model ({model.GetType().Name}) holds no Delta-LoRA text model (DeltaLoRATransformer).", nameof(model));
            return rebuilt;
        }
        catch
        {
            foreach (var replacement in made) replacement.Dispose();
            throw;
        }
    }

    private static ITransformer Rebuild(ITransformer model, Func<DeltaLoRATransformer, DeltaLoRATransformer> replace) => model switch
    {
        DeltaLoRATransformer scorer => replace(scorer),
        ITransformerChainAccessor chain => new TransformerChain<ITransformer>(chain.Transformers.Select(step => Rebuild(step, replace)).ToArray(), chain.Scopes),
        _ => model,
    };
}
