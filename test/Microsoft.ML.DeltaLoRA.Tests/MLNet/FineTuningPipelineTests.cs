using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

/// <summary>
/// The public catalog methods with the real TorchSharp engine, on the tiny Hugging Face fixture encoders and the small GLUE
/// subsets: what a user's pipeline does, end to end.
/// </summary>
public class FineTuningPipelineTests
{
    private static string RobertaFolder => HuggingFaceFixtures.ModelFolder("roberta", "RobertaForSequenceClassification");

    private static DeltaLoRAOptions FixtureOptions(string? sentence2 = null, FineTuningMethod method = FineTuningMethod.DeltaLoRA) => new()
    {
        ModelPath = RobertaFolder,
        Sentence1ColumnName = "Sentence1",
        Sentence2ColumnName = sentence2,
        Method = method,
        Rank = 4,
        Alpha = 8,
        UpdateRatio = 0.5,
        StartSteps = 2,
        LearningRate = 5e-3,
        WarmupSteps = 2,
        BatchSize = 16,
        Epochs = 2,
        MaxSequenceLength = 64,
    };

    private static IEstimator<ITransformer> ClassificationPipeline(MLContext ml, DeltaLoRAOptions options)
        => ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.DeltaLoRA(options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    [SharedTheory]
    [InlineData(FineTuningMethod.DeltaLoRA)]
    [InlineData(FineTuningMethod.LoRA)]
    [InlineData(FineTuningMethod.Full)]
    public void Sst2_pipeline_fits_evaluates_saves_and_a_fresh_process_reproduces_it_bit_for_bit(FineTuningMethod method)
    {
        var ml = new MLContext(seed: 1);
        var loader = Sst2Loader(ml);
        var model = ClassificationPipeline(ml, FixtureOptions(method: method)).Fit(loader.Load(Sst2Train));
        var scored = model.Transform(loader.Load(Sst2Eval));

        var metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.InRange(metrics.MicroAccuracy, 0, 1);
        Assert.InRange(metrics.MacroAccuracy, 0, 1);
        Assert.True(double.IsFinite(metrics.LogLoss) && metrics.LogLoss > 0, $"log-loss {metrics.LogLoss}");
        Assert.Equal(2, metrics.ConfusionMatrix.NumberOfClasses);

        using var folder = new TemporaryDirectory();
        var path = folder.File("model.zip");
        ml.Model.Save(model, loader, path);
        var expected = ReadScores(scored).Select(row => string.Join(' ', row.Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8")))).ToArray();
        var actual = ModelLoadCheckProcess.Run(path, Sst2Eval).Select(line => line.Split('\t')[1]).ToArray();
        Assert.Equal(expected, actual);
        Assert.True(expected.Distinct().Count() > 1, "A fine-tuned model should not score every sentence alike.");
    }

    [SharedFact]
    public void Sentence_pairs_train_on_rte_and_mrpc()
    {
        var ml = new MLContext(seed: 2);
        var rteLoader = RteLoader(ml);
        var rte = ClassificationPipeline(ml, FixtureOptions("Sentence2")).Fit(rteLoader.Load(RteTrain));
        var rteMetrics = ml.MulticlassClassification.Evaluate(rte.Transform(rteLoader.Load(RteEval)));
        Assert.InRange(rteMetrics.MicroAccuracy, 0, 1);

        var mrpcLoader = MrpcLoader(ml);
        var mrpc = ClassificationPipeline(ml, FixtureOptions("Sentence2")).Fit(mrpcLoader.Load(MrpcTrain));
        var scored = mrpc.Transform(mrpcLoader.Load(MrpcEval));
        var mrpcMetrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.InRange(mrpcMetrics.MicroAccuracy, 0, 1);
        Assert.Equal(File.ReadLines(MrpcEval).Count() - 1, ReadScores(scored).Length);
    }

    [SharedFact]
    public void Regression_on_stsb_outputs_one_score_per_row()
    {
        var ml = new MLContext(seed: 3);
        var loader = StsbLoader(ml);
        var options = FixtureOptions("Sentence2");
        options.Epochs = 3;
        var model = ml.Regression.Trainers.DeltaLoRA(options).Fit(loader.Load(StsbTrain));
        var scored = model.Transform(loader.Load(StsbEval));

        Assert.Equal(NumberDataViewType.Single, scored.Schema["Score"].Type);
        var metrics = ml.Regression.Evaluate(scored);
        Assert.True(double.IsFinite(metrics.MeanSquaredError) && double.IsFinite(metrics.RSquared));
        var scores = ReadScores(scored).Select(r => r[0]).ToArray();
        var labels = ReadColumn<float>(scored, "Label");
        Assert.Equal(metrics.MeanSquaredError, scores.Zip(labels).Average(p => Math.Pow(p.First - p.Second, 2)), 4);
    }

    [SharedFact]
    public void PredictionEngine_equals_Transform_and_batched_equals_one_row_at_a_time()
    {
        var ml = new MLContext(seed: 4);
        var loader = Sst2Loader(ml);
        var batchedOptions = FixtureOptions();
        batchedOptions.InferenceBatchSize = 32;
        var model = ClassificationPipeline(ml, batchedOptions).Fit(loader.Load(Sst2Train));
        var eval = loader.Load(Sst2Eval);
        var batched = ReadScores(model.Transform(eval));

        var engine = ml.Model.CreatePredictionEngine<Sst2Row, Sst2Prediction>(model);
        var sentences = ReadColumn<ReadOnlyMemory<char>>(eval, "Sentence1").Select(s => s.ToString()).ToArray();
        var oneByOne = sentences.Select(s => engine.Predict(new Sst2Row { Sentence1 = s }).Score).ToArray();

        Assert.Equal(batched.Length, oneByOne.Length);
        for (int row = 0; row < batched.Length; row++)
            for (int c = 0; c < batched[row].Length; c++)
                Assert.Equal(batched[row][c], oneByOne[row][c], 1e-5f);
    }

    [SharedFact]
    public void CrossValidate_with_three_folds_returns_per_fold_metrics()
    {
        var ml = new MLContext(seed: 5);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(Sst2Loader(ml).Load(Sst2Train)).Transform(Sst2Loader(ml).Load(Sst2Train));
        var options = FixtureOptions();
        options.Epochs = 1;
        var folds = ml.MulticlassClassification.CrossValidate(data, ml.MulticlassClassification.Trainers.DeltaLoRA(options), numberOfFolds: 3);

        Assert.Equal(3, folds.Count);
        Assert.Equal(256, folds.Sum(f => ReadScores(f.ScoredHoldOutSet).Length));
        Assert.All(folds, f => Assert.InRange(f.Metrics.MicroAccuracy, 0, 1));
    }

    [SharedFact]
    public void The_same_MLContext_seed_gives_the_same_model()
    {
        float[][] FitAndScore()
        {
            var ml = new MLContext(seed: 6);
            var loader = Sst2Loader(ml);
            var options = FixtureOptions();
            options.Epochs = 1;
            return ReadScores(ClassificationPipeline(ml, options).Fit(loader.Load(Sst2Train)).Transform(loader.Load(Sst2Eval)));
        }
        Assert.Equal(Bits(FitAndScore()), Bits(FitAndScore()));
    }

    [SharedFact]
    public void Cancellation_stops_training_within_a_step()
    {
        var ml = new MLContext(seed: 7);
        using var cancellation = new CancellationTokenSource();
        var reports = new List<TrainingProgress>();
        var options = FixtureOptions();
        options.CancellationToken = cancellation.Token;
        options.Progress = new SynchronousProgress(p =>
        {
            reports.Add(p);
            if (p.Step == 3) cancellation.Cancel();
        });

        Assert.ThrowsAny<OperationCanceledException>(() => ClassificationPipeline(ml, options).Fit(Sst2Loader(ml).Load(Sst2Train)));
        Assert.Equal(3, reports.Max(r => r.Step));
    }

    [SharedFact]
    public void MLContext_CancelExecution_stops_training_within_a_step()
    {
        var ml = new MLContext(seed: 7);
        var reports = new List<TrainingProgress>();
        var options = FixtureOptions();
        options.Progress = new SynchronousProgress(p =>
        {
            reports.Add(p);
            // Internal in ML.NET 5; AutoML and other ML.NET components call it.
            if (p.Step == 2) typeof(MLContext).GetMethod("CancelExecution", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public)!.Invoke(ml, null);
        });

        Assert.ThrowsAny<OperationCanceledException>(() => ClassificationPipeline(ml, options).Fit(Sst2Loader(ml).Load(Sst2Train)));
        Assert.Equal(2, reports.Max(r => r.Step));
    }

    [SharedFact]
    public void A_GPU_that_is_not_there_fails_clearly_unless_FallbackToCpu()
    {
        var ml = new MLContext(seed: 8) { GpuDeviceId = 0, FallbackToCpu = false };
        if (TorchSharp.torch.cuda.is_available()) return; // this check is about machines without CUDA
        var error = Assert.Throws<InvalidOperationException>(() => ClassificationPipeline(ml, FixtureOptions()).Fit(Sst2Loader(ml).Load(Sst2Train)));
        Assert.Contains("GpuDeviceId", error.Message);
        Assert.Contains("FallbackToCpu", error.Message);

        var fallback = new MLContext(seed: 8) { GpuDeviceId = 0, FallbackToCpu = true };
        var options = FixtureOptions();
        options.Epochs = 1;
        var model = ClassificationPipeline(fallback, options).Fit(Sst2Loader(fallback).Load(Sst2Train));
        Assert.Equal(128, ReadScores(model.Transform(Sst2Loader(fallback).Load(Sst2Eval))).Length);
    }

    [SharedFact]
    public void Validation_set_reports_a_metric_each_epoch_and_early_stopping_keeps_the_best_weights()
    {
        var ml = new MLContext(seed: 9);
        var loader = Sst2Loader(ml);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(loader.Load(Sst2Train));
        var reports = new List<TrainingProgress>();
        var options = FixtureOptions();
        options.Epochs = 4;
        options.ValidationSet = keys.Transform(loader.Load(Sst2Eval));
        options.EarlyStoppingPatience = 1;
        options.Progress = new SynchronousProgress(reports.Add);

        var model = keys.Append(ml.MulticlassClassification.Trainers.DeltaLoRA(options).Fit(keys.Transform(loader.Load(Sst2Train))));

        var validation = reports.Where(r => r.ValidationMetric is not null).ToArray();
        Assert.NotEmpty(validation);
        Assert.All(validation, r => Assert.InRange(r.ValidationMetric!.Value, 0, 1));
        var accuracy = ml.MulticlassClassification.Evaluate(model.Transform(loader.Load(Sst2Eval))).MicroAccuracy;
        Assert.Equal(validation.Max(r => r.ValidationMetric!.Value), accuracy, 6);
    }

    private sealed class Sst2Row
    {
        public string Sentence1 { get; set; } = "";
        public float Label { get; set; }
    }

    private sealed class Sst2Prediction
    {
        public float[] Score { get; set; } = [];
    }

    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
