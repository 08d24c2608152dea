using System.Runtime.InteropServices;

namespace DeltaLoRA.Cli;

/// <summary>
/// Makes libtorch's idle OpenMP threads sleep at once (<c>OMP_WAIT_POLICY=PASSIVE</c>) instead of spinning. libgomp spins an
/// idle thread for about 300,000 iterations first; beside other busy processes a spinning thread holds a core that another
/// thread of the pool needs to reach the next barrier, and <c>predict</c> ran several times slower (docs/performance.md).
/// libgomp reads the variable once, when libtorch loads, from the C library's environment, which
/// <c>Environment.SetEnvironmentVariable</c> does not change on Linux; so this calls setenv(3), before anything touches
/// TorchSharp. A user's own <c>OMP_WAIT_POLICY</c> or <c>GOMP_SPINCOUNT</c> is left as it is.
/// </summary>
internal static class OpenMpWaitPolicy
{
    public static void SleepWhenIdle()
    {
        if (!OperatingSystem.IsLinux()) return; // libgomp is Linux's; TorchSharp's Windows libtorch uses Intel's OpenMP (KMP_BLOCKTIME)
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null || Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is not null) return;
        setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
    }

    [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int setenv(string name, string value, int overwrite);
}
