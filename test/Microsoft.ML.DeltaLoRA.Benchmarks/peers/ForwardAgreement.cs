using System.Text.Json.Nodes;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Bert;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using TorchSharp;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Benchmarks.Peers;

/// <summary>How far the PyTorch peer's eval-mode forward is from ours on the same weights: the largest absolute difference.</summary>
internal sealed record ForwardAgreement(int Sequences, int Tokens, double LastHiddenState, double Logits)
{
    public const double Tolerance = 1e-4;

    public bool Agrees => LastHiddenState <= Tolerance && Logits <= Tolerance;

    /// <summary>
    /// Tokenizes <paramref name="sentences"/> (real SST-2 rows, right-padded to the longest), runs our model and the peer in eval
    /// mode, and compares last_hidden_state at every real token and the logits. Padding positions are left out: nothing reads them.
    /// </summary>
    public static ForwardAgreement Measure(BertForSequenceClassification model, string folder, IReadOnlyList<string> sentences, TorchPeerProcess peer)
    {
        using var scope = torch.NewDisposeScope();
        var tokenizer = PretrainedTokenizers.Load(folder, ModelFamily.Bert);
        var batch = BatchCollator.Collate(sentences.Select(s => tokenizer.Encode(s, null, 128)).ToArray(), tokenizer);
        var ids = batch.InputIds.data<long>().ToArray();
        var mask = batch.AttentionMask.data<long>().ToArray();
        int length = (int)batch.InputIds.shape[1];
        var rows = Enumerable.Range(0, sentences.Count);
        var reply = peer.Send(new
        {
            cmd = "forward",
            input_ids = rows.Select(r => ids.Skip(r * length).Take(length).ToArray()).ToArray(),
            attention_mask = rows.Select(r => mask.Skip(r * length).Take(length).ToArray()).ToArray(),
        });
        model.eval();
        float[] hidden, logits;
        using (torch.no_grad())
        using (var output = model.Run(batch))
        {
            hidden = output.Encoder.LastHiddenState.data<float>().ToArray();
            logits = output.Logits.data<float>().ToArray();
        }
        var peerHidden = Floats(reply["last_hidden_state"]);
        var peerLogits = Floats(reply["logits"]);
        if (peerHidden.Length != hidden.Length || peerLogits.Length != logits.Length)
            throw new InvalidDataException($"The PyTorch peer returned {peerHidden.Length} hidden values and {peerLogits.Length} logits; ours are {hidden.Length} and {logits.Length}.");
        int width = hidden.Length / mask.Length;
        double hiddenDifference = hidden.Select((h, i) => mask[i / width] == 1 ? Math.Abs(h - peerHidden[i]) : 0).Max();
        double logitDifference = Statistics.MaxAbsoluteDifference(logits, peerLogits);
        return new ForwardAgreement(sentences.Count, (int)mask.Sum(), hiddenDifference, logitDifference);
    }

    private static float[] Floats(JsonNode? node)
        => node is JsonArray array ? array.Select(v => (float)v!).ToArray() : throw new InvalidDataException("The PyTorch peer's reply lacks a number array.");
}
