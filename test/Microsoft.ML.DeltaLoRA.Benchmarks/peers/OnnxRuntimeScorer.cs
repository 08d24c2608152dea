using System.Diagnostics;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.DeltaLoRA.Benchmarks.Peers;

/// <summary>
/// ONNX Runtime on a model's original <c>model.onnx</c> (BERT inputs input_ids, attention_mask, token_type_ids; output
/// last_hidden_state), as a .NET team scores with it today: the same WordPiece tokenizer as ours (checked against the stock
/// BertTokenizer in the tests), sentences sorted by token count and batched to the longest in each batch, or one at a time.
/// </summary>
internal sealed class OnnxRuntimeScorer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly SequenceTokenizer _tokenizer;
    private readonly int _maxLength;

    public OnnxRuntimeScorer(string onnxFile, SequenceTokenizer tokenizer, int threads, bool allowSpinning, int maxLength = 128, bool forceSpinningStop = false, string? profilePrefix = null, string? disabledOptimizers = null)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", allowSpinning ? "1" : "0");
        options.AddSessionConfigEntry("session.force_spinning_stop", forceSpinningStop ? "1" : "0");
        if (disabledOptimizers is not null) options.AddSessionConfigEntry("optimization.disable_specified_optimizers", disabledOptimizers);
        if (profilePrefix is not null)
        {
            options.ProfileOutputPathPrefix = profilePrefix; // before EnableProfiling, which takes the prefix set at that moment
            options.EnableProfiling = true;
        }
        _session = new InferenceSession(onnxFile, options);
        _tokenizer = tokenizer;
        _maxLength = maxLength;
        AllowSpinning = allowSpinning;
    }

    public bool AllowSpinning { get; }

    /// <summary>Seconds to tokenize and score every sentence in length-sorted batches of <paramref name="batchSize"/>.</summary>
    public double ScoreBatched(IReadOnlyList<string> sentences, int batchSize)
    {
        var stopwatch = Stopwatch.StartNew();
        var encoded = sentences.Select(s => _tokenizer.Encode(s, null, _maxLength)).OrderBy(e => e.Length).ToArray();
        for (int start = 0; start < encoded.Length; start += batchSize)
            Run(encoded.AsSpan(start, Math.Min(batchSize, encoded.Length - start)));
        return stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>Scores already tokenized rows in the given batches of row indices (diagnosis of batching rules).</summary>
    public void ScoreBatches(IReadOnlyList<EncodedSequence> encoded, IEnumerable<int[]> batches)
    {
        foreach (var batch in batches) Run(batch.Select(r => encoded[r]).ToArray());
    }

    /// <summary>Seconds to tokenize and score the sentences one at a time.</summary>
    public double ScoreOneAtATime(IEnumerable<string> sentences)
    {
        var stopwatch = Stopwatch.StartNew();
        foreach (var sentence in sentences) Run([_tokenizer.Encode(sentence, null, _maxLength)]);
        return stopwatch.Elapsed.TotalSeconds;
    }

    private void Run(ReadOnlySpan<EncodedSequence> batch)
    {
        int rows = batch.Length, length = 0;
        foreach (var sequence in batch) length = Math.Max(length, sequence.Length);
        var ids = new long[rows * length];
        var mask = new long[rows * length];
        var types = new long[rows * length];
        for (int r = 0; r < rows; r++)
        {
            for (int t = 0; t < batch[r].Length; t++)
            {
                ids[r * length + t] = batch[r].InputIds[t];
                types[r * length + t] = t < batch[r].TokenTypeIds.Length ? batch[r].TokenTypeIds[t] : 0;
                mask[r * length + t] = 1;
            }
        }
        int[] shape = [rows, length];
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(types, shape)),
        };
        using var results = _session.Run(inputs);
    }

    /// <summary>Ends ORT's profiling (when the scorer was made with a profile prefix) and returns the JSON file it wrote.</summary>
    public string EndProfiling() => _session.EndProfiling();

    public void Dispose() => _session.Dispose();
}
