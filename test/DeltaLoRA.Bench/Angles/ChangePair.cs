using DeltaLoRA.Bench.Spectrum;

namespace DeltaLoRA.Bench.Angles;

/// <summary>
/// Two saved models' changes compared matrix by matrix (the adapted matrices both record), under a label such as
/// "sst2 DeltaLoRA vs LoRA". The top-r subspaces use r = the smaller of the two models' adapter ranks.
/// </summary>
internal sealed record ChangePair(string Label, SavedDelta First, SavedDelta Second, IReadOnlyDictionary<AdaptedMatrix, ChangeComparison> Matrices)
{
    public static ChangePair Compare(string label, SavedDelta first, SavedDelta second)
    {
        if (!first.Changes.Keys.ToHashSet().SetEquals(second.Changes.Keys))
            throw new InvalidDataException($"'{first.Source}' records {first.Changes.Count} adapted matrices and '{second.Source}' {second.Changes.Count}, not the same ones; compare models of one base and one adapter placement.");
        int topRank = Math.Min(first.AdapterRank, second.AdapterRank);
        var matrices = first.Changes.Keys.OrderBy(m => m.Layer).ThenBy(m => m.Projection, StringComparer.Ordinal)
            .ToDictionary(m => m, m => ChangeComparison.Between(first.Changes[m], second.Changes[m], topRank));
        return new ChangePair(label, first, second, matrices);
    }
}
