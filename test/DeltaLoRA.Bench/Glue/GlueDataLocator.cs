namespace DeltaLoRA.Bench.Glue;

/// <summary>
/// Finds the GLUE data folder (<c>{sst2,mrpc,cola,rte,stsb}/{train,dev}.tsv</c>): the given path, else
/// <c>$DELTALORA_SHARED/data/glue</c>, else <c>../shared/data/glue</c> beside the repository root.
/// </summary>
internal static class GlueDataLocator
{
    public static string Resolve(string? given)
    {
        if (!string.IsNullOrEmpty(given))
        {
            if (!Directory.Exists(given)) throw new DirectoryNotFoundException($"The GLUE data folder '{given}' (--data) does not exist.");
            return Path.GetFullPath(given);
        }
        var shared = Environment.GetEnvironmentVariable("DELTALORA_SHARED");
        if (!string.IsNullOrEmpty(shared) && Directory.Exists(Path.Combine(shared, "data", "glue")))
            return Path.GetFullPath(Path.Combine(shared, "data", "glue"));

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (!File.Exists(Path.Combine(dir.FullName, "Microsoft.ML.DeltaLoRA.sln"))) continue;
                var glue = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "glue"));
                if (Directory.Exists(glue)) return glue;
            }
        }
        throw new DirectoryNotFoundException(
            "No GLUE data folder: pass --data <folder with sst2/, mrpc/, cola/, rte/, stsb/>, or set DELTALORA_SHARED, or put shared/ beside the repository.");
    }
}
