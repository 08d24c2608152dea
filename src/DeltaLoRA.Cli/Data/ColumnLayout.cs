namespace DeltaLoRA.Cli.Data;

/// <summary>One column of a data file: its 0-based position in that file and the name the model's schema gives it.</summary>
internal sealed record TabularColumn(int Index, string Name);

/// <summary>The columns a model reads: the label, the text, and the second text of text-pair tasks.</summary>
internal sealed record ColumnLayout(TabularColumn Label, TabularColumn Text1, TabularColumn? Text2)
{
    public IEnumerable<TabularColumn> All => Text2 is null ? [Label, Text1] : [Label, Text1, Text2];
}

/// <summary>The columns as the user named them (--label-col, --text-col, --text2-col): names or 0-based indices, or null.</summary>
internal sealed record ColumnChoice(string? Label, string? Text1, string? Text2);
