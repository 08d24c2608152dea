using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling;

/// <summary>
/// Loading a saved model unpacks its files into a temporary folder; a process killed while loading leaves that folder
/// behind. The next load deletes such folders, and none that a living process holds.
/// </summary>
public class ModelUnpackFolderTests
{
    private static string UnpackFolder(string role, TimeSpan? lockAge = null)
    {
        var path = Path.Combine(Path.GetTempPath(), $"{ModelUnpackFolder.NamePrefix}test-{role}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "config.json"), "{}");
        if (lockAge is { } age)
        {
            var lockFile = Path.Combine(path, ModelUnpackFolder.LockFileName);
            File.WriteAllText(lockFile, "");
            File.SetLastWriteTimeUtc(lockFile, DateTime.UtcNow - age);
        }
        return path;
    }

    [SharedFact]
    public void Loading_a_model_deletes_the_unpack_folders_of_ended_processes_and_no_others()
    {
        var killed = UnpackFolder("killed", lockAge: TimeSpan.FromMinutes(5));
        var oldVersion = UnpackFolder("unlocked-old");
        Directory.SetLastWriteTimeUtc(oldVersion, DateTime.UtcNow - TimeSpan.FromDays(2));
        var starting = UnpackFolder("unlocked-new");
        var living = UnpackFolder("living", lockAge: TimeSpan.FromMinutes(5));
        string[] all = [killed, oldVersion, starting, living];
        try
        {
            using (new FileStream(Path.Combine(living, ModelUnpackFolder.LockFileName), FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
                var folder = HuggingFaceFixtures.ModelFolder("bert", "BertForSequenceClassification");
                using var original = TextClassificationModel.LoadPretrained(folder, numLabels: 2);
                using var rebuilt = TextClassificationModel.FromFiles(original.ToFiles(), "test files");
                Assert.Equal(2, rebuilt.NumLabels);
            }

            Assert.False(Directory.Exists(killed), "the folder of a process that ended holding it was left");
            Assert.False(Directory.Exists(oldVersion), "an unlocked folder two days old was left");
            Assert.True(Directory.Exists(starting), "an unlocked folder just created (its lock not yet taken) was deleted");
            Assert.True(Directory.Exists(living), "the folder of a living process was deleted");
        }
        finally
        {
            foreach (var path in all.Where(Directory.Exists)) Directory.Delete(path, recursive: true);
        }
    }
}
