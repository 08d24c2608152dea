using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

public class InputValidationTests
{
    private static DeltaLoRATrainer Classifier(MLContext ml, DeltaLoRAOptions options) => ml.MulticlassClassification.Trainers.DeltaLoRA(options);

    private static IDataView KeyedSst2(MLContext ml)
        => ml.Transforms.Conversion.MapValueToKey("Label").Fit(Sst2Loader(ml).Load(Sst2Train)).Transform(Sst2Loader(ml).Load(Sst2Train));

    /// <summary>Both Fit and the estimator's schema check must fail with the same clear message.</summary>
    private static ArgumentOutOfRangeException FitAndShapeFail(DeltaLoRATrainer trainer, IDataView data)
    {
        var fromFit = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(data));
        var fromShape = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.GetOutputSchema(ShapeOf(data.Schema)));
        Assert.Equal(fromFit.Message, fromShape.Message);
        return fromFit;
    }

    [SharedTheory]
    [InlineData("Text", null, "Label", "'Text' (text)")]
    [InlineData("Sentence1", "Hypothesis", "Label", "'Hypothesis' (second text)")]
    [InlineData("Sentence1", null, "Sentiment", "'Sentiment' (label)")]
    public void A_missing_column_is_named_with_the_columns_present(string sentence1, string? sentence2, string label, string expected)
    {
        var ml = new MLContext(seed: 1);
        var options = new DeltaLoRAOptions { Sentence1ColumnName = sentence1, Sentence2ColumnName = sentence2, LabelColumnName = label };

        var error = FitAndShapeFail(Classifier(ml, options), KeyedSst2(ml));

        Assert.Contains($"no column {expected}", error.Message);
        Assert.Contains("Columns present: Sentence1, Label", error.Message);
    }

    [SharedFact]
    public void A_text_column_of_another_type_is_rejected_with_expected_and_found_types()
    {
        var ml = new MLContext(seed: 1);
        var options = new DeltaLoRAOptions { Sentence1ColumnName = "Number" };
        var data = ml.Transforms.CopyColumns("Number", "Label").Fit(KeyedSst2(ml)).Transform(KeyedSst2(ml));
        data = ml.Transforms.Conversion.MapKeyToValue("Number").Fit(data).Transform(data);

        var error = FitAndShapeFail(Classifier(ml, options), data);

        Assert.Contains("Column 'Number' (text) must be text (String), found Single", error.Message);
    }

    [SharedFact]
    public void A_classification_label_that_is_not_a_key_asks_for_MapValueToKey()
    {
        var ml = new MLContext(seed: 1);

        var error = FitAndShapeFail(Classifier(ml, new DeltaLoRAOptions()), Sst2Loader(ml).Load(Sst2Train));

        Assert.Contains("Column 'Label' (label) must be a key type (apply MapValueToKey to the label first), found Single", error.Message);
    }

    [SharedFact]
    public void A_regression_label_must_be_Single()
    {
        var ml = new MLContext(seed: 1);
        var trainer = ml.Regression.Trainers.DeltaLoRA(new DeltaLoRAOptions());

        var error = FitAndShapeFail(trainer, KeyedSst2(ml));

        Assert.Contains("Column 'Label' (label) must be Single, found Key<UInt32", error.Message);
    }

    [SharedFact]
    public void Transform_rejects_data_without_the_text_column()
    {
        var ml = new MLContext(seed: 1);
        var model = Classifier(ml, ClassificationOptions()).Fit(KeyedSst2(ml));
        var other = ml.Data.LoadFromEnumerable(new[] { new { Text = "fine" } });

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Transform(other));

        Assert.Contains("no column 'Sentence1' (text)", error.Message);
    }

    public static TheoryData<Action<DeltaLoRAOptions>, string, string> InvalidOptions => new()
    {
        { o => o.InferenceBatchSize = 0, nameof(DeltaLoRAOptions.InferenceBatchSize), "must be at least 1; found 0" },
        { o => o.EarlyStoppingPatience = -1, nameof(DeltaLoRAOptions.EarlyStoppingPatience), "found -1" },
        { o => o.EarlyStoppingPatience = 2, nameof(DeltaLoRAOptions.EarlyStoppingPatience), "early stopping needs a validation set" },
        { o => o.LabelColumnName = " ", nameof(DeltaLoRAOptions.LabelColumnName), "must be a column name; found ' '" },
        { o => o.Sentence1ColumnName = null!, nameof(DeltaLoRAOptions.Sentence1ColumnName), "must be a column name; found null" },
        { o => o.Sentence2ColumnName = "Sentence1", nameof(DeltaLoRAOptions.Sentence2ColumnName), "must be different from Sentence1ColumnName; found 'Sentence1'" },
        { o => o.PredictedLabelColumnName = "Score", nameof(DeltaLoRAOptions.PredictedLabelColumnName), "must be different from ScoreColumnName; found 'Score'" },
        { o => o.PairEncoding = SentencePairEncoding.BiEncoder, nameof(DeltaLoRAOptions.PairEncoding), "a bi-encoder reads two texts" },
        { o => o.ModelPath = "/no/such/model/folder", nameof(DeltaLoRAOptions.ModelPath), "'/no/such/model/folder', which does not exist" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Invalid_options_are_rejected_when_Fit_starts_naming_the_option(Action<DeltaLoRAOptions> change, string option, string message)
    {
        var ml = new MLContext(seed: 1);
        var options = new DeltaLoRAOptions();
        change(options);
        var anyData = ml.Data.LoadFromEnumerable(new[] { new SparseKeyRow() });

        var classification = Assert.Throws<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.DeltaLoRA(options).Fit(anyData));
        var regression = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Regression.Trainers.DeltaLoRA(options).Fit(anyData));

        Assert.Equal(option, classification.ParamName);
        Assert.Contains(message, classification.Message);
        Assert.Equal(classification.Message, regression.Message);
    }

    [Fact]
    public void Invalid_options_are_rejected_by_GetOutputSchema_too_naming_the_option()
    {
        var ml = new MLContext(seed: 1);
        var trainer = ml.MulticlassClassification.Trainers.DeltaLoRA(new DeltaLoRAOptions { Sentence1ColumnName = null!, Rank = 0 });
        var shape = ShapeOf(ml.Data.LoadFromEnumerable(new[] { new SparseKeyRow() }).Schema);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => { trainer.GetOutputSchema(shape); });

        Assert.Equal(nameof(DeltaLoRAOptions.Rank), error.ParamName);
        Assert.Contains("Sentence1ColumnName must be a column name; found null.", error.Message);
    }

    [Fact]
    public void One_error_lists_every_invalid_option_one_line_each()
    {
        var ml = new MLContext(seed: 1);
        var options = new DeltaLoRAOptions { Rank = 0, LearningRate = -1, InferenceBatchSize = 0, ModelPath = "/no/such/model/folder" };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.DeltaLoRA(options).Fit(ml.Data.LoadFromEnumerable(new[] { new SparseKeyRow() })));

        Assert.Equal(nameof(DeltaLoRAOptions.Rank), error.ParamName);
        var lines = error.Message.Split(Environment.NewLine);
        Assert.Contains(lines, line => line.StartsWith("Rank must be at least 1; found 0.", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("LearningRate must be positive and finite; found -1.", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("InferenceBatchSize must be at least 1; found 0.", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("ModelPath must be a local model folder or a model name", StringComparison.Ordinal));
    }

    [Fact]
    public void Catalog_methods_configure_the_task_and_the_options()
    {
        var ml = new MLContext(seed: 1);
        var classifier = ml.MulticlassClassification.Trainers.DeltaLoRA("Class", "Premise", "Hypothesis", method: FineTuningMethod.LoRA, rank: 4, epochs: 2, batchSize: 8);
        var regressor = ml.Regression.Trainers.DeltaLoRA("Similarity", "A", "B");
        var defaults = new DeltaLoRAOptions();

        Assert.Equal(PredictionTask.MulticlassClassification, classifier.Task);
        Assert.Equal(("Class", "Premise", "Hypothesis", FineTuningMethod.LoRA, 4, 2, 8),
            (classifier.Options.LabelColumnName, classifier.Options.Sentence1ColumnName, classifier.Options.Sentence2ColumnName,
             classifier.Options.Method, classifier.Options.Rank, classifier.Options.Epochs, classifier.Options.BatchSize));
        Assert.Equal(PredictionTask.Regression, regressor.Task);
        Assert.Equal(("Similarity", "A", "B", defaults.Method, defaults.Rank, defaults.Epochs, defaults.BatchSize),
            (regressor.Options.LabelColumnName, regressor.Options.Sentence1ColumnName, regressor.Options.Sentence2ColumnName,
             regressor.Options.Method, regressor.Options.Rank, regressor.Options.Epochs, regressor.Options.BatchSize));
        Assert.Equal(("Label", "Sentence1", null, "Score", "PredictedLabel", 32),
            (defaults.LabelColumnName, defaults.Sentence1ColumnName, defaults.Sentence2ColumnName, defaults.ScoreColumnName,
             defaults.PredictedLabelColumnName, defaults.InferenceBatchSize));
    }

    public sealed class SparseKeyRow
    {
        public string Sentence1 { get; set; } = "";

        /// <summary>Key type with 5 values; LoadFromEnumerable stores value + 1, and 5 or more becomes key 0 (missing).</summary>
        [KeyType(5)]
        public uint Label { get; set; }
    }

    [SharedFact]
    public void Rows_with_a_missing_label_are_skipped_and_the_class_count_comes_from_the_key_type()
    {
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.LoadFromEnumerable(new[]
        {
            new SparseKeyRow { Sentence1 = "one", Label = 0 },
            new SparseKeyRow { Sentence1 = "missing", Label = 9 },
            new SparseKeyRow { Sentence1 = "three", Label = 2 },
            new SparseKeyRow { Sentence1 = "two", Label = 1 },
        });
        Assert.Equal(0u, ReadColumn<uint>(rows, "Label")[1]);

        var model = Classifier(ml, ClassificationOptions()).Fit(rows);

        var read = RowsReadForFit(rows, ClassificationOptions(), PredictionTask.MulticlassClassification);
        Assert.Equal(5, read.OutputCount);
        Assert.Equal(["one", "three", "two"], read.FirstTexts);
        Assert.Equal([0, 2, 1], read.ClassIndices!);
        Assert.Equal(5, model.OutputCount);
        Assert.Equal(new KeyDataViewType(typeof(uint), 5), model.GetOutputSchema(rows.Schema)["PredictedLabel"].Type);
        Assert.Equal(4, ReadScores(model.Transform(rows)).Count(s => s.Length == 5));
    }

    /// <summary>
    /// The tiny fixtures number 64 positions (BERT and DistilBERT: max_position_embeddings 64; RoBERTa: 66, counted from
    /// pad + 1 = 2). A longer MaxSequenceLength is refused once the model is read, before any row is encoded or any step runs;
    /// 64 trains, on rows long enough to fill all 64 positions.
    /// </summary>
    [SharedTheory]
    [InlineData("bert", 128)]
    [InlineData("distilbert", 65)]
    [InlineData("roberta", 65)]
    public void A_MaxSequenceLength_beyond_the_models_positions_is_refused_before_training(string family, int tooLong)
    {
        var ml = new MLContext(seed: 1);
        string longText = string.Join(" ", Enumerable.Repeat("a long and rather good film", 30));
        var rows = ml.Data.LoadFromEnumerable(new[]
        {
            new SparseKeyRow { Sentence1 = longText, Label = 0 },
            new SparseKeyRow { Sentence1 = "short", Label = 1 },
        });
        var reports = new List<TrainingProgress>();
        var options = ClassificationOptions();
        options.ModelPath = HuggingFaceFixtures.ModelFolder(family, HuggingFaceFixtures.ClassName(family, "ForSequenceClassification"));
        options.MaxSequenceLength = tooLong;
        options.Progress = new SynchronousProgress(reports.Add);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Classifier(ml, options).Fit(rows));

        Assert.Equal(nameof(DeltaLoRAOptions.MaxSequenceLength), error.ParamName);
        Assert.Contains($"MaxSequenceLength is {tooLong}, but the ", error.Message);
        Assert.Contains($"from {options.ModelPath} accepts at most 64 tokens", error.Message);
        Assert.Contains("set MaxSequenceLength to 64 or less", error.Message);
        Assert.Empty(reports);

        options.MaxSequenceLength = 64;
        using var model = Classifier(ml, options).Fit(rows);
        Assert.NotEmpty(reports);
        Assert.Equal(2, ReadScores(model.Transform(rows)).Length);
    }

    [Fact]
    public void Data_whose_labels_are_all_missing_is_rejected()
    {
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.LoadFromEnumerable(new[] { new SparseKeyRow { Sentence1 = "x", Label = 7 } });

        var error = Assert.Throws<InvalidOperationException>(() => Classifier(ml, new DeltaLoRAOptions()).Fit(rows));

        Assert.Contains("all 1 rows have a missing label in column 'Label'", error.Message);
    }

    [SharedFact]
    public void The_validation_set_is_read_and_scored_each_epoch_and_must_have_the_same_classes()
    {
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => log.Add(e.Message);
        var toKey = ml.Transforms.Conversion.MapValueToKey("Label").Fit(Sst2Loader(ml).Load(Sst2Train));
        var reports = new List<TrainingProgress>();
        var options = ClassificationOptions();
        options.Epochs = 2;
        options.ValidationSet = toKey.Transform(Sst2Loader(ml).Load(Sst2Eval));
        options.EarlyStoppingPatience = 2;
        options.Progress = new SynchronousProgress(reports.Add);

        Classifier(ml, options).Fit(toKey.Transform(Sst2Loader(ml).Load(Sst2Train)));
        Assert.Contains(log, line => line.Contains($"validating on {File.ReadLines(Sst2Eval).Count() - 1}"));
        Assert.Equal(2, reports.Count(r => r.ValidationMetric is not null));

        options.ValidationSet = ml.Data.LoadFromEnumerable(new[] { new SparseKeyRow { Sentence1 = "x", Label = 0 } });
        var error = Assert.Throws<InvalidOperationException>(() => Classifier(ml, options).Fit(toKey.Transform(Sst2Loader(ml).Load(Sst2Train))));
        Assert.Contains("has 5 classes, the training data's has 2", error.Message);
    }

    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
