using System.Buffers;
using System.Text;

namespace DeltaLoRA.Cli.Data;

/// <summary>
/// The text of a data file, read as UTF-8 (a byte order mark is dropped). A file with NUL bytes is not text and is refused;
/// bytes that are not UTF-8 are read as U+FFFD, and <see cref="EncodingWarning"/> names the first line that has them.
/// </summary>
internal sealed record DataFileText(string Text, string? EncodingWarning)
{
    private const int BinaryProbeLength = 8192;

    public static DataFileText Read(string path, string optionName)
    {
        var bytes = File.ReadAllBytes(path);
        int nul = Array.IndexOf(bytes, (byte)0, 0, Math.Min(bytes.Length, BinaryProbeLength));
        if (nul >= 0)
            throw new UserErrorException($"{optionName} '{path}' is not a text file (byte {nul} is NUL); expected a .tsv or .csv file of text rows.");
        var text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetString(bytes);
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        int invalid = FirstInvalidUtf8(bytes);
        string? warning = invalid < 0 ? null :
            $"{optionName} '{path}' is not valid UTF-8: line {1 + bytes.AsSpan(0, invalid).Count((byte)'\n')} (byte {invalid}) has bytes that were read as U+FFFD. Save the file as UTF-8 to keep those characters.";
        return new DataFileText(text, warning);
    }

    private static int FirstInvalidUtf8(byte[] bytes)
    {
        var rest = bytes.AsSpan();
        while (!rest.IsEmpty)
        {
            if (System.Text.Rune.DecodeFromUtf8(rest, out _, out int consumed) == OperationStatus.InvalidData || consumed == 0)
                return bytes.Length - rest.Length;
            rest = rest[consumed..];
        }
        return -1;
    }
}
