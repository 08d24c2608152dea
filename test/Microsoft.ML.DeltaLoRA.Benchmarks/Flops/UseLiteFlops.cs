using Microsoft.ML.DeltaLoRA.Modeling.UseLite;

namespace Microsoft.ML.DeltaLoRA.Benchmarks.Flops;

/// <summary>
/// The matrix products of the library's <c>UseLiteClassifier</c> (pre-norm layers; layer 0 attends in the embedding width and
/// projects to the hidden width, with a residual projection; mean pooling, a tanh pooler, a linear classifier), counted from
/// its <see cref="UseLiteConfig"/>. See <see cref="FlopLedger"/> for the backward rule.
/// </summary>
internal static class UseLiteFlops
{
    public static FlopLedger Count(UseLiteConfig config, ParameterTrainability model, SequenceLengths lengths, int numLabels)
    {
        ArgumentNullException.ThrowIfNull(config);
        var ledger = new FlopLedger();
        long hidden = config.HiddenSize, intermediate = config.IntermediateSize;
        double tokens = lengths.Tokens;

        var hiddenStates = new Flow(model.Trains("encoder.word_embeddings.weight"));
        for (int i = 0; i < config.NumLayers; i++)
        {
            string layer = $"encoder.layer.{i}";
            long width = config.AttentionWidth(i);
            double attentionProduct = 2.0 * lengths.SquaredTokens * width;
            var normalized = Flow.Join(hiddenStates, model.AnyTrains($"{layer}.attention.layer_norm"));
            var query = model.Linear(ledger, $"{layer}.attention.query", normalized, tokens, width, width);
            var key = model.Linear(ledger, $"{layer}.attention.key", normalized, tokens, width, width);
            var value = model.Linear(ledger, $"{layer}.attention.value", normalized, tokens, width, width);
            var scores = ledger.Product($"{layer}.attention.scores", query, key, attentionProduct);
            var context = ledger.Product($"{layer}.attention.context", scores, value, attentionProduct);
            var attended = model.Linear(ledger, $"{layer}.attention.output", context, tokens, width, hidden);
            var residual = width != hidden
                ? model.Linear(ledger, $"{layer}.residual_projection", hiddenStates, tokens, width, hidden)
                : hiddenStates;
            var afterAttention = Flow.Join(attended, residual);
            var normalizedAgain = Flow.Join(afterAttention, model.AnyTrains($"{layer}.feed_forward.layer_norm"));
            var expanded = model.Linear(ledger, $"{layer}.feed_forward.intermediate", normalizedAgain, tokens, hidden, intermediate);
            var output = model.Linear(ledger, $"{layer}.feed_forward.output", expanded, tokens, intermediate, hidden);
            hiddenStates = Flow.Join(afterAttention, output);
        }
        // Mean pooling leaves one row per sequence for the pooler and the classifier.
        var pooled = model.Linear(ledger, "encoder.pooler", hiddenStates, lengths.Count, hidden, hidden);
        model.Linear(ledger, "classifier", pooled, lengths.Count, hidden, numLabels);
        return ledger;
    }
}
