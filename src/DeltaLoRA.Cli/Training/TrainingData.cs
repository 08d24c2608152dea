using System.Globalization;
using DeltaLoRA.Cli.Data;
using Microsoft.ML;

namespace DeltaLoRA.Cli.Training;

/// <summary>
/// The rows <c>train</c> works on: training rows (possibly a random subset, --max-rows), test rows (the --test-dataset file,
/// else a held-out share of the training file, else the demo's test split), optional validation rows, and their columns.
/// <see cref="Notes"/> are what the user must hear about the files: rows skipped and why, bytes that were not UTF-8.
/// </summary>
internal sealed record TrainingData(IDataView Train, long TrainRows, IDataView Test, IDataView? Validation, ColumnLayout Columns,
    string Description, IReadOnlyList<string> Notes)
{
    public static TrainingData Prepare(MLContext ml, TrainSettings settings, int? maxRows)
    {
        if (maxRows is < 1) throw new UserErrorException($"--max-rows must be at least 1; found {maxRows}.");
        return settings.IsDemo ? PrepareDemo(ml, settings, maxRows) : PrepareFiles(ml, settings, maxRows);
    }

    private static TrainingData PrepareDemo(MLContext ml, TrainSettings settings, int? maxRows)
    {
        if (settings.Task == TaskKind.Regression)
            throw new UserErrorException("--task regression needs a --dataset with numeric labels; the demo data set (SpamAssassin) is spam / ham classification.");
        if (settings.ValidationDataset is not null || settings.TestDataset is not null)
            throw new UserErrorException("--validation-dataset and --test-dataset go with --dataset; without it the demo uses the SpamAssassin corpus and its own test split.");
        var (train, test) = DemoDataset.LoadSplit();
        var (rows, count) = RowSampling.AtMost(ml, DemoDataset.ToDataView(ml, train), train.Count, maxRows, settings.Seed);
        var description = string.Create(CultureInfo.InvariantCulture,
            $"SpamAssassin public corpus from {DemoDataset.Folder}: {train.Count + test.Count} messages, {train.Count(m => m.Label == SpamAssassinCorpus.Spam) + test.Count(m => m.Label == SpamAssassinCorpus.Spam)} spam; " +
            $"training on {count} of the {train.Count} training messages, testing on all {test.Count} test messages (split seed {DemoDataset.SplitSeed})");
        return new TrainingData(rows, count, DemoDataset.ToDataView(ml, test), null, DemoDataset.Layout, description, []);
    }

    private static TrainingData PrepareFiles(MLContext ml, TrainSettings settings, int? maxRows)
    {
        var trainFile = TabularFile.Inspect(settings.Dataset!, "--dataset", settings.HasHeader, settings.Separator);
        var columns = ColumnResolver.ForTraining(trainFile, settings.Columns);
        var loaded = TabularData.Load(ml, trainFile, columns, settings.Task);
        var notes = TabularData.RequireRows(loaded, trainFile, "--dataset", columns, settings.Task).ToList();
        var all = loaded.Data;

        IDataView train, test;
        string testDescription;
        if (settings.TestDataset is not null)
        {
            train = all;
            test = LoadLike(ml, settings.TestDataset, "--test-dataset", columns, settings, notes);
            testDescription = $"testing on {settings.TestDataset}";
        }
        else
        {
            if (!(settings.TestFraction > 0 && settings.TestFraction < 1)) // NaN too
                throw new UserErrorException($"--test-fraction must be between 0 and 1 (exclusive); found {settings.TestFraction.ToString(CultureInfo.InvariantCulture)}.");
            var split = ml.Data.TrainTestSplit(all, settings.TestFraction, seed: settings.Seed);
            (train, test) = (split.TrainSet, split.TestSet);
            testDescription = string.Create(CultureInfo.InvariantCulture, $"testing on a held-out {settings.TestFraction:0.##} of it (no --test-dataset)");
        }
        var validation = settings.ValidationDataset is null ? null : LoadLike(ml, settings.ValidationDataset, "--validation-dataset", columns, settings, notes);

        long available = RowSampling.Count(train);
        if (available == 0) throw new UserErrorException($"--dataset '{settings.Dataset}' has no training rows.");
        var (rows, count) = RowSampling.AtMost(ml, train, available, maxRows, settings.Seed);
        var description = string.Create(CultureInfo.InvariantCulture,
            $"{settings.Dataset}: label '{columns.Label.Name}', text '{columns.Text1.Name}'{(columns.Text2 is null ? "" : $", second text '{columns.Text2.Name}'")}; " +
            $"training on {count}{(count < available ? $" of {available}" : "")} rows, {testDescription}");
        return new TrainingData(rows, count, test, validation, columns, description, notes);
    }

    private static IDataView LoadLike(MLContext ml, string path, string option, ColumnLayout columns, TrainSettings settings, List<string> notes)
    {
        var file = TabularFile.Inspect(path, option, settings.HasHeader, settings.Separator);
        var layout = ColumnResolver.Like(file, columns, settings.Columns);
        var loaded = TabularData.Load(ml, file, layout, settings.Task);
        notes.AddRange(TabularData.RequireRows(loaded, file, option, layout, settings.Task));
        return loaded.Data;
    }
}
