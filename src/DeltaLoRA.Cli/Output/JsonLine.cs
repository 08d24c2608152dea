using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeltaLoRA.Cli.Output;

/// <summary>The single-line JSON that --json prints last on standard output.</summary>
internal static class JsonLine
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = false,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Serialize(object value) => JsonSerializer.Serialize(value, Options);
}
