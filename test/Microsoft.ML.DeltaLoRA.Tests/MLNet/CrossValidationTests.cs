using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

public class CrossValidationTests
{
    [SharedFact]
    public void CrossValidate_with_three_folds_scores_every_row_once_and_reports_each_folds_metrics()
    {
        var ml = new MLContext(seed: 1);
        var data = Sst2Loader(ml).Load(Sst2Train);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.DeltaLoRA(ClassificationOptions()));

        var folds = ml.MulticlassClassification.CrossValidate(data, pipeline, numberOfFolds: 3);

        Assert.Equal(3, folds.Count);
        Assert.Equal(File.ReadLines(Sst2Train).Count() - 1, folds.Sum(f => ReadScores(f.ScoredHoldOutSet).Length));
        foreach (var fold in folds)
        {
            var scores = ReadScores(fold.ScoredHoldOutSet);
            var labels = ReadColumn<uint>(fold.ScoredHoldOutSet, "Label");
            double accuracy = scores.Zip(labels).Average(x => Array.IndexOf(x.First, x.First.Max()) + 1 == x.Second ? 1.0 : 0.0);
            Assert.Equal(accuracy, fold.Metrics.MicroAccuracy, 12);
            Assert.InRange(fold.Metrics.MacroAccuracy, 0, 1);
            Assert.True(fold.Metrics.LogLoss >= 0);
            Assert.IsType<DeltaLoRATransformer>(((IEnumerable<ITransformer>)fold.Model).Last());
        }
    }
}
