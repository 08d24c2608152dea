using System.Globalization;
using DeltaLoRA.Cli.Data;
using Microsoft.ML;

namespace DeltaLoRA.Cli.Training;

/// <summary>A few rows of the test data to show with the reloaded model's predictions: for classification, taking classes in turn.</summary>
internal static class ExampleRows
{
    private const int RowsScanned = 1000;

    public static IReadOnlyList<TextInput> Pick(IDataView data, ColumnLayout columns, TaskKind task, int count)
    {
        if (count <= 0) return [];
        var rows = Read(data, columns, task);
        if (task == TaskKind.Regression) return rows.Take(count).ToArray();

        var queues = rows.GroupBy(r => r.TrueLabel).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new Queue<TextInput>(g)).ToList();
        var picked = new List<TextInput>(count);
        while (picked.Count < count && queues.Any(q => q.Count > 0))
            foreach (var queue in queues.Where(q => q.Count > 0))
                if (picked.Count < count) picked.Add(queue.Dequeue());
        return picked;
    }

    private static List<TextInput> Read(IDataView data, ColumnLayout columns, TaskKind task)
    {
        var schema = data.Schema;
        var active = columns.All.Select(c => schema[c.Name]).ToArray();
        using var cursor = data.GetRowCursor(active);
        var text1 = cursor.GetGetter<ReadOnlyMemory<char>>(schema[columns.Text1.Name]);
        var text2 = columns.Text2 is null ? null : cursor.GetGetter<ReadOnlyMemory<char>>(schema[columns.Text2.Name]);
        Func<string> label = task == TaskKind.Regression ? NumberReader(cursor.GetGetter<float>(schema[columns.Label.Name])) : TextReader(cursor.GetGetter<ReadOnlyMemory<char>>(schema[columns.Label.Name]));

        var rows = new List<TextInput>();
        ReadOnlyMemory<char> first = default, second = default;
        while (rows.Count < RowsScanned && cursor.MoveNext())
        {
            text1(ref first);
            text2?.Invoke(ref second);
            rows.Add(new TextInput(first.ToString(), text2 is null ? null : second.ToString(), label()));
        }
        return rows;
    }

    private static Func<string> TextReader(ValueGetter<ReadOnlyMemory<char>> getter)
    {
        ReadOnlyMemory<char> value = default;
        return () =>
        {
            getter(ref value);
            return value.ToString();
        };
    }

    private static Func<string> NumberReader(ValueGetter<float> getter)
    {
        float value = 0;
        return () =>
        {
            getter(ref value);
            return value.ToString("0.####", CultureInfo.InvariantCulture);
        };
    }
}
