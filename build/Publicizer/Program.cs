// Usage: Publicizer <input.dll> <output.dll>
// Writes a copy of <input.dll> in which every internal (assembly, protected-internal, private-protected) type,
// method and field is public. The copy is only a compile-time reference: the real assembly is loaded at run time,
// where [IgnoresAccessChecksTo] lets the calling assembly use those members.
using Publicizer;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: Publicizer <input.dll> <output.dll>");
    return 2;
}

try
{
    var image = File.ReadAllBytes(args[0]);
    var counts = AccessFlagPatcher.MakeInternalsPublic(image);
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(args[1]))!);
    var temporary = args[1] + ".tmp";
    File.WriteAllBytes(temporary, image);
    File.Move(temporary, args[1], overwrite: true);
    Console.WriteLine($"Publicizer: {Path.GetFileName(args[0])}: {counts.Types} types, {counts.Methods} methods, {counts.Fields} fields made public.");
    return 0;
}
catch (Exception e) when (e is IOException or BadImageFormatException or InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"Publicizer: cannot publicize '{args[0]}': {e.Message}");
    return 1;
}
