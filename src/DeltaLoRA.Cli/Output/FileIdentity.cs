using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace DeltaLoRA.Cli.Output;

/// <summary>
/// The device and inode of an existing file on Linux, so that two names of one file are recognised even when neither is a
/// symbolic link: a hard link (<c>ln data.tsv model.zip</c>) shares its inode, and writing through one name replaces what the
/// other reads. Read with statx(2), whose record has the same layout on every architecture (struct stat does not).
/// </summary>
internal readonly record struct FileIdentity(uint DeviceMajor, uint DeviceMinor, ulong Inode)
{
    private const int CurrentDirectory = -100; // AT_FDCWD
    private const uint InodeMask = 0x100; // STATX_INO
    private const int RecordSize = 256; // sizeof(struct statx)
    private const int InodeOffset = 32; // stx_ino
    private const int DeviceMajorOffset = 136; // stx_dev_major, then stx_dev_minor

    /// <summary>The file's identity, links followed; null where it does not exist, cannot be read, or the system is not Linux.</summary>
    public static FileIdentity? Of(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var record = new byte[RecordSize];
        try
        {
            if (statx(CurrentDirectory, path, 0, InodeMask, record) != 0) return null;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return null; // a C library older than glibc 2.28: the path comparison alone remains
        }
        var mask = BinaryPrimitives.ReadUInt32LittleEndian(record);
        if ((mask & InodeMask) == 0) return null;
        return new FileIdentity(
            BitConverter.ToUInt32(record, DeviceMajorOffset), BitConverter.ToUInt32(record, DeviceMajorOffset + 4), BitConverter.ToUInt64(record, InodeOffset));
    }

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int statx(int directoryFd, string path, int flags, uint mask, byte[] record);
}
