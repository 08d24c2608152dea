using System.Text.RegularExpressions;

namespace DeltaLoRA.Cli;

/// <summary>Parse errors in the user's words: "Cannot parse argument 'x' for option '--lr' as expected type 'System.Nullable`1[System.Double]'" names a .NET type.</summary>
internal static partial class UsageErrors
{
    public static string Readable(string message)
        => ExpectedType().Replace(message, match => "; expected " + match.Groups["type"].Value switch
        {
            "Double" or "Single" => "a number such as 0.001 or 1e-3",
            "Int32" or "Int64" => "a whole number",
            "Boolean" => "true or false",
            var other => $"a value of type {other}",
        });

    [GeneratedRegex(@" as expected type 'System\.(?:Nullable`1\[System\.)?(?<type>\w+)\]?'")]
    private static partial Regex ExpectedType();
}
