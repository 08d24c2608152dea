namespace DeltaLoRA.Cli.Data;

/// <summary>The field separator of a data file: given by <c>--separator</c>, else by the file's extension, else guessed from its first line.</summary>
internal static class SeparatorChoice
{
    public static char Resolve(string? given, string path, string firstLine)
    {
        if (given is not null) return Parse(given);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".tsv" or ".tab" => '\t',
            ".csv" => ',',
            _ => Guess(firstLine),
        };
    }

    /// <summary>A name (tab, comma, semicolon, space, pipe) or a single character; \t is a tab.</summary>
    public static char Parse(string given) => given.ToLowerInvariant() switch
    {
        "tab" or "\\t" or "\t" => '\t',
        "comma" or "," => ',',
        "semicolon" or ";" => ';',
        "space" or " " => ' ',
        "pipe" or "|" => '|',
        _ when given.Length == 1 => given[0],
        _ => throw new UserErrorException($"--separator '{given}' is not a separator; expected tab, comma, semicolon, space, pipe or a single character."),
    };

    /// <summary>Quoted fields are the CSV convention; in tab-separated files (GLUE) a quote is an ordinary character.</summary>
    public static bool AllowsQuoting(char separator) => separator != '\t';

    private static char Guess(string firstLine)
    {
        foreach (var candidate in new[] { '\t', ',', ';', '|' })
            if (firstLine.Contains(candidate)) return candidate;
        return '\t';
    }
}
