using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Microsoft.ML.DeltaLoRA.Checkpoints.Pickle;

/// <summary>
/// A pickle reader that understands only the opcodes a PyTorch state dict uses (protocols 2 to 5: containers, numbers,
/// strings, memo, globals, REDUCE/BUILD, persistent ids). It never imports or runs anything: every global and every call
/// goes through <see cref="IPickleGlobals"/>, which decides what a name means or refuses it.
/// </summary>
internal sealed class RestrictedUnpickler(Stream input, string file, IPickleGlobals globals, Func<object?, object?> persistentLoad)
{
    private static readonly object Mark = new();

    private readonly List<object?> stack = [];
    private readonly Dictionary<long, object?> memo = [];

    /// <summary>Reads one pickle (up to its STOP opcode) and returns the object it describes.</summary>
    public object? Load()
    {
        while (true)
        {
            long position = input.Position;
            int opcode = input.ReadByte();
            if (opcode < 0) throw Corrupt($"the pickle ends at byte {position} without a STOP opcode");
            switch (opcode)
            {
                case 0x80: ReadBytes(1); break; // PROTO
                case 0x95: ReadBytes(8); break; // FRAME: a size hint only
                case '.': return Pop(); // STOP
                case '(': stack.Add(Mark); break;
                case '}': stack.Add(new PickleDict()); break;
                case ']': stack.Add(new List<object?>()); break;
                case ')': stack.Add(new PickleTuple([])); break;
                case 't': stack.Add(new PickleTuple(PopToMark().ToArray())); break;
                case 0x85: stack.Add(new PickleTuple([Pop()])); break;
                case 0x86: { var b = Pop(); var a = Pop(); stack.Add(new PickleTuple([a, b])); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); stack.Add(new PickleTuple([a, b, c])); break; }
                case 'N': stack.Add(null); break;
                case 0x88: stack.Add(true); break;
                case 0x89: stack.Add(false); break;
                case 'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break;
                case 'K': stack.Add((long)ReadBytes(1)[0]); break;
                case 'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break;
                case 0x8a: stack.Add(ReadLong(ReadBytes(1)[0])); break; // LONG1
                case 'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break; // BINFLOAT
                case 'X': stack.Add(Encoding.UTF8.GetString(ReadBytes(ReadLength(4)))); break; // BINUNICODE
                case 0x8c: stack.Add(Encoding.UTF8.GetString(ReadBytes(ReadBytes(1)[0]))); break; // SHORT_BINUNICODE
                case 0x8d: stack.Add(Encoding.UTF8.GetString(ReadBytes(ReadLength(8)))); break; // BINUNICODE8
                case 'U': stack.Add(Encoding.Latin1.GetString(ReadBytes(ReadBytes(1)[0]))); break; // SHORT_BINSTRING
                case 'T': stack.Add(Encoding.Latin1.GetString(ReadBytes(ReadLength(4)))); break; // BINSTRING
                case 'C': stack.Add(ReadBytes(ReadBytes(1)[0])); break; // SHORT_BINBYTES
                case 'B': stack.Add(ReadBytes(ReadLength(4))); break; // BINBYTES
                case 'q': memo[ReadBytes(1)[0]] = Peek(); break; // BINPUT
                case 'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))] = Peek(); break; // LONG_BINPUT
                case 0x94: memo[memo.Count] = Peek(); break; // MEMOIZE
                case 'h': stack.Add(Recall(ReadBytes(1)[0])); break; // BINGET
                case 'j': stack.Add(Recall(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)))); break; // LONG_BINGET
                case 'c': stack.Add(globals.Resolve(new PickleGlobal(ReadLine(), ReadLine()))); break; // GLOBAL
                case 0x93: { var name = Pop(); var module = Pop(); stack.Add(globals.Resolve(new PickleGlobal(AsString(module), AsString(name)))); break; } // STACK_GLOBAL
                case 'R': { var args = Pop(); var callable = Pop(); stack.Add(globals.Call(callable, AsTuple(args).Items)); break; } // REDUCE
                case 'b': { var state = Pop(); globals.Build(Peek(), state); break; } // BUILD
                case 'Q': stack.Add(persistentLoad(Pop())); break; // BINPERSID
                case 's': { var value = Pop(); var key = Pop(); AsDict(Peek()).Set(key, value); break; } // SETITEM
                case 'u': { var items = PopToMark(); var dict = AsDict(Peek()); for (int i = 0; i + 1 < items.Count; i += 2) dict.Set(items[i], items[i + 1]); break; } // SETITEMS
                case 'a': { var value = Pop(); AsList(Peek()).Add(value); break; } // APPEND
                case 'e': { var items = PopToMark(); AsList(Peek()).AddRange(items); break; } // APPENDS
                default:
                    throw Corrupt($"it uses pickle opcode 0x{opcode:x2} at byte {position}, which a state dict does not need; refusing to read it");
            }
        }
    }

    private InvalidDataException Corrupt(string problem) => new($"The PyTorch checkpoint '{file}' cannot be read: {problem}.");

    private object? Pop()
    {
        if (stack.Count == 0) throw Corrupt("its pickle pops an empty stack");
        var top = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        if (ReferenceEquals(top, Mark)) throw Corrupt("its pickle uses a MARK as a value");
        return top;
    }

    private object? Peek()
    {
        if (stack.Count == 0 || ReferenceEquals(stack[^1], Mark)) throw Corrupt("its pickle reads an empty stack");
        return stack[^1];
    }

    private List<object?> PopToMark()
    {
        int markIndex = stack.FindLastIndex(item => ReferenceEquals(item, Mark));
        if (markIndex < 0) throw Corrupt("its pickle closes a MARK it never opened");
        var items = stack.GetRange(markIndex + 1, stack.Count - markIndex - 1);
        stack.RemoveRange(markIndex, stack.Count - markIndex);
        return items;
    }

    private object? Recall(long index)
        => memo.TryGetValue(index, out var value) ? value : throw Corrupt($"its pickle reads memo entry {index}, which was never stored");

    private byte[] ReadBytes(long count)
    {
        if (count < 0 || count > input.Length - input.Position) throw Corrupt($"its pickle asks for {count} bytes beyond its end");
        var bytes = new byte[count];
        input.ReadExactly(bytes);
        return bytes;
    }

    private long ReadLength(int size)
    {
        var bytes = ReadBytes(size);
        return size == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(bytes) : (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }

    private object ReadLong(int size)
    {
        var value = new BigInteger(ReadBytes(size), isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    private string ReadLine()
    {
        var bytes = new List<byte>();
        while (true)
        {
            int next = input.ReadByte();
            if (next < 0) throw Corrupt("its pickle ends inside a global name");
            if (next == '\n') return Encoding.UTF8.GetString(bytes.ToArray());
            if (bytes.Count > 1000) throw Corrupt("its pickle has a global name longer than 1000 bytes");
            bytes.Add((byte)next);
        }
    }

    private string AsString(object? value) => value as string ?? throw Corrupt($"its pickle has {Describe(value)} where a name is expected");
    private PickleTuple AsTuple(object? value) => value as PickleTuple ?? throw Corrupt($"its pickle calls a global with {Describe(value)} instead of an argument tuple");
    private PickleDict AsDict(object? value) => value as PickleDict ?? throw Corrupt($"its pickle sets an item on {Describe(value)}, which is not a dictionary");
    private List<object?> AsList(object? value) => value as List<object?> ?? throw Corrupt($"its pickle appends to {Describe(value)}, which is not a list");

    internal static string Describe(object? value) => value switch
    {
        null => "None",
        string text => $"the string '{text}'",
        _ => $"a {value.GetType().Name}",
    };
}

/// <summary>What the globals of a pickle may mean: an allow-list, and the only calls a pickle can make.</summary>
internal interface IPickleGlobals
{
    /// <summary>The value standing for <paramref name="global"/>; throws for anything not on the allow-list.</summary>
    object Resolve(PickleGlobal global);

    /// <summary>REDUCE: applies an allowed callable (from <see cref="Resolve"/>) to its arguments.</summary>
    object? Call(object? callable, object?[] arguments);

    /// <summary>BUILD: sets the state of an object made by <see cref="Call"/>.</summary>
    void Build(object? target, object? state);
}
