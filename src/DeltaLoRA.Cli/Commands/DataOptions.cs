using System.CommandLine;
using DeltaLoRA.Cli.Data;

namespace DeltaLoRA.Cli.Commands;

/// <summary>The options that say how to read a data file, shared by train and evaluate (ML.NET CLI style).</summary>
internal sealed class DataOptions
{
    public Option<string?> Label { get; } = new(ColumnResolver.LabelOption)
    {
        Description = "The label column: a name from the header or a 0-based index. Default: the column named 'label'.",
        HelpName = "name|index",
    };

    public Option<string?> Text { get; } = new(ColumnResolver.TextOption)
    {
        Description = "The text column: a name or a 0-based index. Default: the other column with the longest values.",
        HelpName = "name|index",
    };

    public Option<string?> Text2 { get; } = new(ColumnResolver.Text2Option)
    {
        Description = "The second text column of text-pair tasks (entailment, paraphrase, similarity).",
        HelpName = "name|index",
    };

    public Option<bool> HasHeader { get; } = new("--has-header")
    {
        Description = "Whether the first line holds column names ('--has-header false' for files without one; their columns are col0, col1, …).",
        DefaultValueFactory = _ => true,
    };

    public Option<string?> Separator { get; } = new("--separator")
    {
        Description = "Field separator: tab, comma, semicolon, space, pipe or one character. Default: by extension (.tsv tab, .csv comma).",
        HelpName = "separator",
    };

    public void AddTo(Command command)
    {
        command.Add(Label);
        command.Add(Text);
        command.Add(Text2);
        command.Add(HasHeader);
        command.Add(Separator);
    }

    public ColumnChoice Columns(ParseResult result) => new(result.GetValue(Label), result.GetValue(Text), result.GetValue(Text2));
}
