using System.Globalization;
using System.Text;

namespace DeltaLoRA.Bench.Glue;

/// <summary>
/// Reads GLUE TSV files line by line: fields split on tabs with no quoting (MRPC has stray quotes inside fields), a leading
/// UTF-8 byte order mark dropped, the header skipped where the task has one. Every line is checked: its field count, its
/// label (in the task's label set, or a score in [0, 5] for STS-B) and non-empty text.
/// </summary>
internal static class GlueLoader
{
    /// <summary>The file of <paramref name="split"/> in <c>glueRoot/task/{train,dev}.tsv</c>.</summary>
    public static string PathOf(string glueRoot, GlueTask task, GlueSplit split)
        => Path.Combine(glueRoot, task.Name, split == GlueSplit.Train ? "train.tsv" : "dev.tsv");

    public static IReadOnlyList<GlueExample> Load(string glueRoot, GlueTask task, GlueSplit split)
        => Load(PathOf(glueRoot, task, split), task);

    public static IReadOnlyList<GlueExample> Load(string path, GlueTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (!File.Exists(path))
            throw new FileNotFoundException($"The {task.Name} file '{path}' does not exist (expected the GLUE data folder, see --data).", path);

        var examples = new List<GlueExample>();
        int lineNumber = 0;
        foreach (var rawLine in File.ReadLines(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)))
        {
            lineNumber++;
            var line = lineNumber == 1 ? rawLine.TrimStart('\uFEFF') : rawLine;
            if (lineNumber == 1 && task.HasHeader) continue;
            if (line.Length == 0) throw Invalid(path, lineNumber, "an empty line", $"{task.FieldCount} tab-separated fields");
            examples.Add(Parse(line, task, path, lineNumber));
        }
        if (examples.Count == 0) throw new InvalidDataException($"'{path}' holds no {task.Name} rows.");
        return examples;
    }

    private static GlueExample Parse(string line, GlueTask task, string path, int lineNumber)
    {
        var fields = line.Split('\t');
        if (fields.Length != task.FieldCount)
            throw Invalid(path, lineNumber, $"{fields.Length} fields", $"{task.FieldCount} tab-separated fields");

        var text1 = fields[task.Text1Field];
        var text2 = task.Text2Field is int second ? fields[second] : null;
        if (string.IsNullOrWhiteSpace(text1)) throw Invalid(path, lineNumber, "an empty text in field " + task.Text1Field, "a sentence");
        if (text2 is not null && string.IsNullOrWhiteSpace(text2)) throw Invalid(path, lineNumber, "an empty text in field " + task.Text2Field, "a sentence");

        var label = fields[task.LabelField].Trim();
        if (task.IsRegression)
        {
            if (!float.TryParse(label, NumberStyles.Float, CultureInfo.InvariantCulture, out var score) || !(score >= 0 && score <= GlueTask.MaxSimilarity))
                throw Invalid(path, lineNumber, $"score '{label}' in field {task.LabelField}", $"a similarity in [0, {GlueTask.MaxSimilarity}]");
            return new GlueExample(text1, text2, label, score);
        }
        if (!task.Labels.Contains(label))
            throw Invalid(path, lineNumber, $"label '{label}' in field {task.LabelField}", $"one of {string.Join(", ", task.Labels)}");
        return new GlueExample(text1, text2, label, float.NaN);
    }

    private static InvalidDataException Invalid(string path, int lineNumber, string found, string expected)
        => new($"'{path}' line {lineNumber}: expected {expected}, found {found}.");
}
