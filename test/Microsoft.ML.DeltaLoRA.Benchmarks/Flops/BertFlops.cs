using Microsoft.ML.DeltaLoRA.Checkpoints;

namespace Microsoft.ML.DeltaLoRA.Benchmarks.Flops;

/// <summary>
/// The matrix products of the library's <c>BertForSequenceClassification</c> (post-LayerNorm BERT, pooler on the first token,
/// linear classifier), counted from its <see cref="EncoderConfig"/>. See <see cref="FlopLedger"/> for the backward rule.
/// </summary>
internal static class BertFlops
{
    public static FlopLedger Count(EncoderConfig config, ParameterTrainability model, SequenceLengths lengths, int numLabels)
    {
        ArgumentNullException.ThrowIfNull(config);
        var ledger = new FlopLedger();
        long hidden = config.HiddenSize, intermediate = config.IntermediateSize;
        double tokens = lengths.Tokens;
        // Q·Kᵀ and P·V: per sequence and head, l×d by d×l and l×l by l×d, i.e. 2·l²·d each; summed over heads, 2·l²·hidden.
        double attentionProduct = 2.0 * lengths.SquaredTokens * hidden;

        var hiddenStates = new Flow(model.AnyTrains("bert.embeddings"));
        for (int i = 0; i < config.NumLayers; i++)
        {
            string layer = $"bert.encoder.layer.{i}";
            var query = model.Linear(ledger, $"{layer}.attention.self.query", hiddenStates, tokens, hidden, hidden);
            var key = model.Linear(ledger, $"{layer}.attention.self.key", hiddenStates, tokens, hidden, hidden);
            var value = model.Linear(ledger, $"{layer}.attention.self.value", hiddenStates, tokens, hidden, hidden);
            var scores = ledger.Product($"{layer}.attention.scores", query, key, attentionProduct);
            var context = ledger.Product($"{layer}.attention.context", scores, value, attentionProduct);
            var projected = model.Linear(ledger, $"{layer}.attention.output.dense", context, tokens, hidden, hidden);
            var attended = Flow.Join(Flow.Join(projected, hiddenStates), model.AnyTrains($"{layer}.attention.output.LayerNorm"));
            var expanded = model.Linear(ledger, $"{layer}.intermediate.dense", attended, tokens, hidden, intermediate);
            var output = model.Linear(ledger, $"{layer}.output.dense", expanded, tokens, intermediate, hidden);
            hiddenStates = Flow.Join(Flow.Join(output, attended), model.AnyTrains($"{layer}.output.LayerNorm"));
        }
        // The pooler and the classifier see one row per sequence (the first token's state).
        var pooled = model.Linear(ledger, "bert.pooler.dense", hiddenStates, lengths.Count, hidden, hidden);
        model.Linear(ledger, "classifier", pooled, lengths.Count, hidden, numLabels);
        return ledger;
    }
}
