using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using Microsoft.ML.DeltaLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Tests.Training;

/// <summary>
/// Real text end to end: the fixture RoBERTa (tiny, random weights: hidden 32, 3 layers) with its own byte-level BPE tokenizer
/// fits the 256-sentence SST-2 training subset. The loss is measured over all 256 sentences in evaluation mode before and after
/// training; it starts at about the entropy of the label prior (0.69), so going down means the model uses the text.
/// (The BERT fixture's 98-token WordPiece vocabulary turns most words into [UNK], which leaves little to learn.)
/// </summary>
public class Sst2LearningTests
{
    [SharedTheory]
    [InlineData(FineTuningMethod.DeltaLoRA)]
    [InlineData(FineTuningMethod.LoRA)]
    [InlineData(FineTuningMethod.Full)]
    public void TrainingLossGoesDownOnSst2(FineTuningMethod method)
    {
        var folder = SharedData.PathOf("fixtures", "hf", "roberta", "RobertaForSequenceClassification");
        var tokenizer = PretrainedTokenizers.Load(folder, ModelFamily.Roberta);
        var (sequences, labels) = ReadSst2(SharedData.PathOf("data", "small", "sst2_train_256.tsv"), tokenizer, maxLength: 64);
        Assert.Equal(256, sequences.Count);
        Assert.Equal([0f, 1f], labels.Distinct().Order());

        torch.manual_seed(17);
        using var model = PretrainedModels.LoadSequenceClassifier(folder, numLabels: 2, dropoutOverride: 0);
        var options = new FineTuningOptions
        {
            Method = method, LearningRate = 2e-3, Epochs = 10, BatchSize = 16, MaxSequenceLength = 64, StartSteps = 8,
            WeightDecay = 0, Seed = 17, LengthBucketing = true,
        };
        using var tuner = new FineTuner(model, options, FineTuner.CountSteps(options, sequences.Count));
        double before = MeanLoss(model, sequences, labels, tokenizer);

        var summary = tuner.Train(sequences, labels, tokenizer.PadTokenId, tokenizer.UsesTokenTypeIds);

        double after = MeanLoss(model, sequences, labels, tokenizer);
        Assert.Equal(160, summary.Steps);
        Assert.True(after < 0.95 * before, $"{method}: mean training loss {before:F4} before, {after:F4} after {summary.Steps} steps.");
        Assert.True(summary.StepLosses.TakeLast(16).Average() < summary.StepLosses.Take(16).Average(),
            $"{method}: the last epoch's step losses do not average below the first epoch's.");
    }

    private static (List<EncodedSequence> Sequences, List<float> Labels) ReadSst2(string file, SequenceTokenizer tokenizer, int maxLength)
    {
        var sequences = new List<EncodedSequence>();
        var labels = new List<float>();
        foreach (var line in File.ReadLines(file).Skip(1))
        {
            if (line.Length == 0) continue;
            var fields = line.Split('\t');
            sequences.Add(tokenizer.Encode(fields[0], null, maxLength));
            labels.Add(float.Parse(fields[1]));
        }
        return (sequences, labels);
    }

    private static double MeanLoss(SequenceClassifier model, List<EncodedSequence> sequences, List<float> labels, SequenceTokenizer tokenizer)
    {
        bool wasTraining = model.training;
        model.eval();
        double total = 0;
        using (torch.no_grad())
        {
            for (int start = 0; start < sequences.Count; start += 32)
            {
                using var scope = torch.NewDisposeScope();
                int count = Math.Min(32, sequences.Count - start);
                var batch = BatchCollator.Collate(sequences.GetRange(start, count), tokenizer.PadTokenId, tokenizer.UsesTokenTypeIds);
                var target = torch.tensor(labels.GetRange(start, count).Select(l => (long)l).ToArray());
                total += nn.functional.cross_entropy(model.forward(batch), target, reduction: nn.Reduction.Sum).item<float>();
            }
        }
        if (wasTraining) model.train();
        return total / sequences.Count;
    }
}
