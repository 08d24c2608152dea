using DeltaLoRA.Cli.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DeltaLoRA.Cli.Data;

/// <summary>Reads a data file with ML.NET's TextLoader: the label (text for classification, Single for regression) and the text column(s).</summary>
public static class TabularData
{
    public static IDataView Load(MLContext ml, TabularFile file, ColumnLayout layout, TaskKind task)
    {
        var labelKind = task == TaskKind.Regression ? DataKind.Single : DataKind.String;
        var columns = new List<TextLoader.Column>
        {
            new(layout.Label.Name, labelKind, layout.Label.Index),
            new(layout.Text1.Name, DataKind.String, layout.Text1.Index),
        };
        if (layout.Text2 is { } text2) columns.Add(new TextLoader.Column(text2.Name, DataKind.String, text2.Index));
        var loader = ml.Data.CreateTextLoader(columns.ToArray(), separatorChar: file.Separator, hasHeader: file.HasHeader,
            allowQuoting: file.AllowQuoting, trimWhitespace: false, allowSparse: false);
        return loader.Load(file.Path);
    }
}
