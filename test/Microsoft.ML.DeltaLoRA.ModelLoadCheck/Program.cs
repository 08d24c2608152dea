// Usage: Microsoft.ML.DeltaLoRA.ModelLoadCheck <model.zip> <data file> [--torch-libraries]
//        Microsoft.ML.DeltaLoRA.ModelLoadCheck --default-threads
// Loads a model saved together with its data loader (MLContext.Model.Save(model, loader, path)) in this fresh process,
// with no registration call, reads the data file with that loader, and prints one line per row:
//   <PredictedLabel or '-'> TAB <Score as the hexadecimal bit patterns of its floats, space-separated>
// With --torch-libraries, a last line names the native libraries of TorchSharp this process loaded ("torch-libraries: none"
// when none): the file names of loaded modules containing "torch" (libtorch*, LibTorchSharp).
// With --default-threads alone, it prints TorchThreads.DefaultCount, the libtorch threads a model loaded in a fresh process scores
// on: results compare bit for bit across processes only at the same count.
using System.Globalization;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

if (args is ["--default-threads"])
{
    Console.WriteLine(Microsoft.ML.DeltaLoRA.TorchThreads.DefaultCount.ToString(CultureInfo.InvariantCulture));
    return 0;
}
if (args.Length is not (2 or 3) || args.Length == 3 && args[2] != "--torch-libraries")
{
    Console.Error.WriteLine("usage: Microsoft.ML.DeltaLoRA.ModelLoadCheck <model.zip> <data file> [--torch-libraries] | --default-threads");
    return 2;
}

var mlContext = new MLContext(seed: 1);
var model = mlContext.Model.LoadWithDataLoader(args[0], out var loader);
var scored = model.Transform(loader.Load(args[1]));
var score = scored.Schema["Score"];
var predictedLabel = scored.Schema.GetColumnOrNull("PredictedLabel");

using var cursor = scored.GetRowCursor(predictedLabel is null ? [score] : [score, predictedLabel.Value]);
var readScore = ScoreReader(cursor, score);
var readLabel = predictedLabel is null ? () => "-" : TextReader(cursor, predictedLabel.Value);
using var output = new StreamWriter(Console.OpenStandardOutput()) { NewLine = "\n" };
while (cursor.MoveNext())
    output.WriteLine($"{readLabel()}\t{string.Join(' ', readScore().Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8")))}");
if (args.Length == 3)
{
    var torch = System.Diagnostics.Process.GetCurrentProcess().Modules.Cast<System.Diagnostics.ProcessModule>()
        .Select(m => Path.GetFileName(m.FileName)).Where(name => name.Contains("torch", StringComparison.OrdinalIgnoreCase)).Distinct().Order().ToArray();
    output.WriteLine($"torch-libraries: {(torch.Length == 0 ? "none" : string.Join(", ", torch))}");
}
return 0;

static Func<float[]> ScoreReader(DataViewRowCursor cursor, DataViewSchema.Column column)
{
    if (column.Type is VectorDataViewType)
    {
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        var buffer = default(VBuffer<float>);
        return () =>
        {
            getter(ref buffer);
            return buffer.DenseValues().ToArray();
        };
    }
    var scalar = cursor.GetGetter<float>(column);
    return () =>
    {
        float value = 0;
        scalar(ref value);
        return [value];
    };
}

static Func<string> TextReader(DataViewRowCursor cursor, DataViewSchema.Column column)
{
    var method = typeof(ValueText).GetMethod(nameof(ValueText.Reader), BindingFlags.Public | BindingFlags.Static)!;
    return (Func<string>)method.MakeGenericMethod(column.Type.RawType).Invoke(null, [cursor, column])!;
}

static class ValueText
{
    public static Func<string> Reader<T>(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        var getter = cursor.GetGetter<T>(column);
        T value = default!;
        return () =>
        {
            getter(ref value);
            return Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
        };
    }
}
