using Microsoft.ML.DeltaLoRA.Tests.UseLite;

namespace Microsoft.ML.DeltaLoRA.Tests.GpuCheck;

/// <summary>
/// The scripts of build/cuda run once, on a GPU machine with little time and no second chance to fix a typo: shellcheck and the
/// Python parser catch here what they can.
/// </summary>
public class CudaScriptsTests
{
    private static string Folder => Path.Combine(UseLiteTestEnvironment.RepositoryRoot, "build", "cuda");

    [ProgramOnPathFact("shellcheck")]
    public void Shellcheck_finds_nothing_in_the_cuda_scripts()
    {
        var scripts = Directory.GetFiles(Folder, "*.sh");
        Assert.Equal(["build-native.sh", "device-check.sh", "make-bundle.sh"], scripts.Select(Path.GetFileName).Order());
        var (exitCode, output, error) = UseLiteTestEnvironment.Run("shellcheck", ["--severity=style", .. scripts], Folder);
        Assert.True(exitCode == 0, output + error);
    }

    [ProgramOnPathFact("python3")]
    public void The_python_scripts_parse()
    {
        var scripts = Directory.GetFiles(Folder, "*.py");
        Assert.Equal(["peers.py", "summarize.py"], scripts.Select(Path.GetFileName).Order());
        var (exitCode, output, error) = UseLiteTestEnvironment.Run("python3",
            ["-c", "import ast, sys\nfor path in sys.argv[1:]: ast.parse(open(path).read(), path)", .. scripts], Folder);
        Assert.True(exitCode == 0, output + error);
    }
}

/// <summary>A fact that needs a program on PATH; skipped with the reason otherwise.</summary>
public sealed class ProgramOnPathFactAttribute : FactAttribute
{
    public ProgramOnPathFactAttribute(string program)
    {
        bool found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(folder => File.Exists(Path.Combine(folder, program)));
        if (!found) Skip = $"{program} is not on PATH (apt install {program} to run this check).";
    }
}
