using Microsoft.ML.DeltaLoRA.Modeling;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Training;

/// <summary>
/// Keeps the model's weights from its best validation score and says when <paramref name="patience"/> evaluations in a row
/// brought no improvement (patience 0: never stop, but still keep and restore the best weights).
/// </summary>
internal sealed class EarlyStopping(Module model, int patience, bool higherIsBetter) : IDisposable
{
    private Dictionary<string, Tensor>? _bestWeights;
    private int _evaluationsWithoutImprovement;

    public double? BestScore { get; private set; }

    /// <summary>The optimizer step the best weights come from (what <see cref="RestoreBest"/> puts back); null before any observation.</summary>
    public int? BestStep { get; private set; }

    /// <summary>Records a validation score of the weights after optimizer step <paramref name="step"/>; returns false when training should stop.</summary>
    public bool Observe(double score, int step)
    {
        bool improved = BestScore is not double best || (higherIsBetter ? score > best : score < best);
        if (improved)
        {
            BestScore = score;
            BestStep = step;
            _evaluationsWithoutImprovement = 0;
            Snapshot();
            return true;
        }
        _evaluationsWithoutImprovement++;
        return patience == 0 || _evaluationsWithoutImprovement < patience;
    }

    /// <summary>Puts the best weights back (no-op when nothing was observed).</summary>
    public void RestoreBest()
    {
        if (_bestWeights is null) return;
        ModuleTensors.CopyFrom(model, _bestWeights, "the best validation snapshot");
    }

    public void Dispose()
    {
        if (_bestWeights is null) return;
        foreach (var tensor in _bestWeights.Values) tensor.Dispose();
        _bestWeights = null;
    }

    private void Snapshot()
    {
        using var noGrad = torch.no_grad();
        if (_bestWeights is null)
        {
            _bestWeights = ModuleTensors.Export(model).ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope());
            return;
        }
        foreach (var (name, tensor) in ModuleTensors.Export(model)) _bestWeights[name].copy_(tensor);
    }
}
