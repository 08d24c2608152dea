using System.Diagnostics;
using FsCheck;
using FsCheck.Fluent;

namespace Microsoft.ML.DeltaLoRA.Tests.Fuzzing;

/// <summary>
/// Runs a reader on mutated copies of a real file, as an FsCheck property with a fixed seed: every case must either read the
/// file or throw one of the exception types the reader documents, with a message; none may hang (each case has a time limit)
/// or take memory out of proportion to the file (managed bytes allocated by the case, and the rise of the process's peak
/// resident memory, each under a limit). <c>DELTALORA_FUZZ_CASES</c> sets the cases per reader (default
/// <see cref="DefaultCases"/>, which keeps the whole suite under a minute on 2 cores) and <c>DELTALORA_FUZZ_SEED</c> the seed.
/// </summary>
internal static class FuzzCase
{
    public const int DefaultCases = 40;
    private const ulong DefaultSeed = 20261206;

    /// <summary>Beyond the file's own size times <see cref="AllocationPerFileByte"/>: what reading any file may cost in fixed overhead.</summary>
    private const long FixedAllowance = 64L << 20;
    private const int AllocationPerFileByte = 16;

    /// <summary>The longest a case may take, generous for a loaded 2-core machine; a reader that loops on a bad size takes far longer.</summary>
    public static readonly TimeSpan CaseTimeLimit = TimeSpan.FromSeconds(30);

    public static int Cases => int.TryParse(Environment.GetEnvironmentVariable("DELTALORA_FUZZ_CASES"), out var n) && n > 0 ? n : DefaultCases;

    private static ulong Seed => ulong.TryParse(Environment.GetEnvironmentVariable("DELTALORA_FUZZ_SEED"), out var s) ? s : DefaultSeed;

    /// <summary>
    /// Checks <paramref name="read"/> on <see cref="Cases"/> mutations of <paramref name="original"/> (the unmutated file must read).
    /// <paramref name="isDocumented"/> tells the exception types the reader documents for bad input.
    /// </summary>
    public static void Check(string reader, byte[] original, Action<byte[]> read, Func<Exception, bool> isDocumented)
    {
        read(original); // the real file reads; this first read also loads what any read loads once (native libraries, JIT)
        Run(reader, original, read, _ => false);
        var config = Config.QuickThrowOnFailure.WithMaxTest(Cases).WithReplay(Seed, 1UL).WithQuietOnSuccess(true);
        FsCheck.Check.One(config, Prop.ForAll(FileMutation.Arbitrary, (FileMutation[] mutations) =>
        {
            var bytes = mutations.Aggregate(original, (file, mutation) => mutation.Apply(file));
            Run($"{reader} after [{string.Join("; ", mutations.Select(m => m.ToString()))}]", bytes, read, isDocumented);
        }));
    }

    /// <summary>Checks <paramref name="read"/> on random byte strings of 0 to 4 KiB (text-like half of the time).</summary>
    public static void CheckRandom(string reader, Action<byte[]> read, Func<Exception, bool> isDocumented)
    {
        var bytes = from length in Gen.Choose(0, 4096)
                    from textLike in Gen.Elements(true, false)
                    from content in Gen.ArrayOf(textLike ? Gen.Elements("ab\t,\"\n\r 01.-{}[]:é"u8.ToArray()) : Gen.Choose(0, 255).Select(v => (byte)v), length)
                    select content;
        var config = Config.QuickThrowOnFailure.WithMaxTest(Cases).WithReplay(Seed + 1, 1UL).WithQuietOnSuccess(true);
        FsCheck.Check.One(config, Prop.ForAll(Arb.From(bytes), (byte[] file) => Run($"{reader} on {file.Length} random bytes", file, read, isDocumented)));
    }

    private static void Run(string what, byte[] bytes, Action<byte[]> read, Func<Exception, bool> isDocumented)
    {
        long allowance = FixedAllowance + (long)AllocationPerFileByte * bytes.Length;
        using var process = Process.GetCurrentProcess();
        long peakBefore = process.PeakWorkingSet64;
        long allocated = 0;
        Exception? thrown = null;
        var worker = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                read(bytes);
            }
            catch (Exception e)
            {
                thrown = e;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, maxStackSize: 16 << 20) { IsBackground = true };
        worker.Start();
        if (!worker.Join(CaseTimeLimit))
            throw new TimeoutException($"{what}: the reader did not finish within {CaseTimeLimit.TotalSeconds:0} s (a hang).");
        process.Refresh();
        long peakRise = process.PeakWorkingSet64 - peakBefore;

        if (thrown is not null && !(isDocumented(thrown) && !string.IsNullOrWhiteSpace(thrown.Message)))
            throw new InvalidOperationException($"{what}: threw {thrown.GetType().Name}, not a documented error: {thrown.Message}", thrown);
        if (allocated > allowance)
            throw new InvalidOperationException($"{what}: allocated {allocated:N0} managed bytes, more than the {allowance:N0} allowed for a {bytes.Length:N0}-byte file.");
        if (peakRise > allowance)
            throw new InvalidOperationException($"{what}: the process's peak resident memory rose by {peakRise:N0} bytes, more than the {allowance:N0} allowed.");
    }
}
