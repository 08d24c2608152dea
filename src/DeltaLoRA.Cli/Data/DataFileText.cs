using System.Buffers;
using System.Globalization;
using System.Text;

namespace DeltaLoRA.Cli.Data;

/// <summary>
/// The text of a data file, read as UTF-8 (a byte order mark is dropped). Only a regular file's bytes are read, up to the
/// size it had when opened: a device or a pipe has no size, and reading it whole would never end. A file with NUL bytes is
/// not text and is refused, and so is a line over <see cref="MaxLineBytes"/> (one record per line is what a data file holds);
/// bytes that are not UTF-8 are read as U+FFFD, and <see cref="EncodingWarning"/> names the first line that has them.
/// </summary>
internal sealed record DataFileText(string Text, string? EncodingWarning)
{
    private const int BinaryProbeLength = 8192;

    /// <summary>The longest line a data file may have: 1 MiB, thousands of times a long sentence.</summary>
    public const int MaxLineBytes = 1 << 20;

    public static DataFileText Read(string path, string optionName)
    {
        var bytes = ReadRegularFile(path, optionName);
        RequireShortLines(bytes, path, optionName);
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

    /// <summary>
    /// The bytes of a regular file. .NET does not tell a device or a pipe from a regular file, but the size the file system
    /// gives them is 0; an empty regular file is refused too, having no rows, so a size of 0 is refused unread.
    /// </summary>
    private static byte[] ReadRegularFile(string path, string optionName)
    {
        long length = new FileInfo(path).Length;
        if (length == 0)
            throw new UserErrorException($"{optionName} '{path}' has nothing to read: it is empty, or not a regular file (a device, a pipe or a /proc file); expected a .tsv or .csv file.");
        if (length > Array.MaxLength)
            throw new UserErrorException(string.Create(CultureInfo.InvariantCulture,
                $"{optionName} '{path}' is {length:N0} bytes, more than the {Array.MaxLength:N0} a data file may be; split it or take a sample."));
        var bytes = new byte[length];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        int read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        return read == bytes.Length ? bytes : bytes[..read];
    }

    private static void RequireShortLines(byte[] bytes, string path, string optionName)
    {
        int line = 1;
        for (int start = 0; start < bytes.Length; line++)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0) end = bytes.Length;
            if (end - start > MaxLineBytes)
                throw new UserErrorException(string.Create(CultureInfo.InvariantCulture,
                    $"{optionName} '{path}': line {line} is {end - start:N0} bytes long, more than the {MaxLineBytes:N0} a line may have; expected a data file of text rows, one per line."));
            start = end + 1;
        }
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
